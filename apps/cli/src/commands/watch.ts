import { RunView, isFinal } from '@modelrun/contracts';
import { isTransient } from '../api/client';
import type { Context } from '../context';
import { CliError } from '../errors';
import { bytes, seconds } from '../output/format';
import { PrintableStream } from '../output/printable';
import { ProgressLine, type ProgressState } from '../output/progress';

/**
 * Each long-poll (`GET /v1/runs/{id}?wait=N`) returns at once when the run ends, otherwise after
 * this long with its current phase: the end is seen at once, a phase change within this.
 */
const PHASE_REFRESH_SECONDS = 1;
/** How long the API may stay unreachable while a run is watched (a restart, a Redis blip). */
const OUTAGE_TOLERANCE_MS = 60_000;
/** After the run ends, how long its log stream may take to deliver the last output. */
const LOG_DRAIN_MS = 10_000;

/**
 * Watches a run until it ends: its phase on one live line (or a line per phase when stdout is not
 * a terminal), its output above it with `logs`. Returns the finished run.
 */
export async function watchRun(ctx: Context, first: RunView, opts: { logs: boolean }, signal: AbortSignal): Promise<RunView> {
  const progress = ctx.json ? undefined : new ProgressLine(ctx.term);
  const logs = opts.logs ? streamLogs(ctx, first.id, progress, signal) : undefined;
  let run = first;
  let unreachableSince: number | undefined;
  try {
    while (!isFinal(run.status)) {
      progress?.update(phaseOf(run));
      try {
        run = await ctx.api.get(`/v1/runs/${run.id}?wait=${PHASE_REFRESH_SECONDS}`, RunView, signal);
        unreachableSince = undefined;
      } catch (err) {
        if (signal.aborted || !isTransient(err)) throw err;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > OUTAGE_TOLERANCE_MS) throw err;
        progress?.update({ key: 'retrying', render: () => `the API is not answering (${(err as CliError).message}); retrying` });
        await delay(1_000, signal);
      }
    }
    if (logs) await Promise.race([logs, delay(LOG_DRAIN_MS, signal)]);
  } finally {
    progress?.stop();
  }
  return run;
}

/** The run's output, as it comes, above the progress line (or to stderr for --json). */
async function streamLogs(ctx: Context, id: string, progress: ProgressLine | undefined, signal: AbortSignal): Promise<void> {
  try {
    // A model's output must not drive the terminal: escape sequences and control characters are dropped.
    const clean = new PrintableStream();
    const show = (text: string): void => {
      // Nothing when all of a chunk is held (half an escape sequence): the progress line would add a line break.
      if (!text) return;
      if (progress) progress.write(text);
      else ctx.term.err.write(text);
    };
    for await (const chunk of ctx.api.stream(`/v1/runs/${id}/logs?follow=true`, signal)) show(clean.write(chunk));
    show(clean.end());
  } catch (err) {
    if (signal.aborted) return;
    const message = `(the output stream broke off: ${(err as Error).message})\n`;
    if (progress) progress.write(message);
    else ctx.term.err.write(message);
  }
}

/** What the run is doing, as one line. */
export function phaseOf(run: RunView, now: () => number = Date.now): ProgressState {
  const since = (iso: string | undefined): string => (iso ? seconds(Math.max(0, now() - Date.parse(iso))) : '');
  const failed = run.attemptErrors ?? [];
  const last = failed.at(-1);
  const of = run.maxAttempts ? ` of ${run.maxAttempts}` : '';
  if (run.status === 'queued' && last) {
    // A retry is not a fresh queue: say which try failed, why, and when the next one starts.
    const next = run.nextAttemptAt ? `starts in ${seconds(Math.max(0, Date.parse(run.nextAttemptAt) - now()))}` : 'waits for a worker';
    return { key: `retry-${last.attempt}`, render: () => `try ${last.attempt}${of} failed (${last.message}); try ${last.attempt + 1} ${next}` };
  }
  // No live host can take it (routing): say which host it waits for, not just "a worker".
  if (run.status === 'queued' && run.waitingFor) return { key: `waiting-for-${run.waitingFor}`, render: () => `queued, waiting for ${run.waitingFor} (${since(run.createdAt)})` };
  if (run.status === 'queued') return { key: 'queued', render: () => `queued, waiting for a worker (${since(run.createdAt)})` };
  const state = runningPhase(run, since);
  // A later try names itself, so its phases do not read as the first try's.
  if (!last || !run.attempts) return state;
  return { key: `${state.key}-${run.attempts}`, render: () => `try ${run.attempts}${of}: ${state.render()}` };
}

function runningPhase(run: RunView, since: (iso: string | undefined) => string): ProgressState {
  switch (run.phase) {
    case 'pulling': {
      const pull = pullProgress(run);
      return { key: 'pulling', render: () => `pulling ${run.image}${pull ? ` ${pull}` : ''}` };
    }
    case 'starting':
      return { key: 'starting', render: () => 'starting the container' };
    case 'collecting':
      return { key: 'collecting', render: () => 'collecting the output' };
    case 'recording':
      return { key: 'recording', render: () => `finished; recording the result (${run.recordingError ?? 'writing'})` };
    default:
      return { key: 'running', render: () => `running ${since(run.startedAt)}`.trimEnd() };
  }
}

/** Bytes pulled so far, when the worker reports them on the run. */
function pullProgress(run: RunView): string | undefined {
  if (!run.pull) return undefined;
  const { bytesDone, bytesTotal } = run.pull;
  return bytesTotal ? `${bytes(bytesDone)} of ${bytes(bytesTotal)}` : bytes(bytesDone);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
