import type { RescoreProgress, SessionView } from '@modelrun/contracts';

/**
 * Whether the board offers "Re-score all": operators and admins (the API's `runs.rescore` rule;
 * the API still decides). Without tokens (a local API) everyone is an admin, as elsewhere.
 */
export function mayRescoreBoard(session: Pick<SessionView, 'authRequired' | 'role'> | undefined): boolean {
  return session?.authRequired === false || session?.role === 'admin' || session?.role === 'operator';
}

/** Every run of the re-score has an outcome (changed, unchanged, skipped or failed). */
export function rescoreDone(p: Pick<RescoreProgress, 'done' | 'total'>): boolean {
  return p.done >= p.total;
}

/** A bulk re-score's progress in one line: "done/total, changed N, failed M", then what else there is to say. */
export function rescoreLine(p: RescoreProgress): string {
  const line = `${p.done}/${p.total}, changed ${p.changed}, failed ${p.failed}`;
  const more = [p.unchanged > 0 && `${p.unchanged} unchanged`, p.skipped > 0 && `${p.skipped} skipped: no kept predictions`].filter(Boolean);
  return more.length > 0 ? `${line} (${more.join(', ')})` : line;
}

/** How one run's re-score ended, in words: its progress counts the run once, under one outcome. */
export function runRescoreOutcome(p: RescoreProgress): string {
  if (!rescoreDone(p)) return 'Re-scoring: the evaluator runs on its kept predictions…';
  if (p.changed > 0) return 'Re-scored: the score changed.';
  if (p.unchanged > 0) return 'Re-scored: the score is unchanged.';
  if (p.failed > 0) return 'The re-score failed: the evaluator could not score its predictions, so the run keeps its score.';
  return 'Not re-scored: its predictions are no longer kept.';
}
