import type { RunView } from '@modelrun/contracts';
import { isFinal } from '@modelrun/contracts/statuses';

/** What a run's tries come to, in words: the banner of a live retry, and the list's heading. */
export interface Tries {
  /** A live run after a failed try: which try, why it failed, what happens next. */
  banner?: { title: string; lastError: string };
  /** The heading of the failed tries' list. */
  summary?: string;
  /** The "Tries" fact: "2 of 5" (up to 5), or "—" before the first starts. */
  count: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * A retry read as one: a queued run whose try failed waits for its next try (not "Queued",
 * "Attempts 1"); a finished run's failed tries are "earlier" only when a later one ran.
 */
export function triesOf(run: RunView, now = Date.now()): Tries {
  const failed = run.attemptErrors ?? [];
  const last = failed.at(-1);
  const of = run.maxAttempts ? ` of ${run.maxAttempts}` : '';
  const count = run.attempts ? `${run.attempts}${of}` : '—';
  if (!last) return { count };
  if (isFinal(run.status)) {
    // The record keeps the failed tries; a run that failed on its last try lists that one too.
    const lastFailedToo = run.status !== 'succeeded' && failed.length >= (run.attempts ?? 0);
    const summary = lastFailedToo
      ? `${run.attempts === 1 ? 'Its try' : `All ${plural(failed.length, 'try', 'tries')}`} failed`
      : `${plural(failed.length, 'try', 'tries')} failed before try ${run.attempts ?? failed.length + 1}`;
    return { summary, count };
  }
  const summary = `${plural(failed.length, 'failed try', 'failed tries')}`;
  if (run.status === 'queued') {
    const wait = run.nextAttemptAt ? Math.ceil((Date.parse(run.nextAttemptAt) - now) / 1000) : 0;
    const next = wait > 0 ? `starts in about ${wait} s` : 'starts when a worker is free';
    return { banner: { title: `Try ${last.attempt}${of} failed; try ${last.attempt + 1} ${next}`, lastError: last.message }, summary, count: `${last.attempt}${of} failed, ${last.attempt + 1} next` };
  }
  return { banner: { title: `Try ${run.attempts ?? last.attempt + 1}${of} is running; try ${last.attempt} failed`, lastError: last.message }, summary, count };
}
