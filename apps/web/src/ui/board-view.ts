import type { BenchmarkView, SessionView } from '@modelrun/contracts';

/** Which board a benchmark page shows: the public one (default) or the private one. */
export type BoardName = 'public' | 'private';

/** What the signed-in caller may do with a benchmark's private board, as the page decides what to offer (the API still decides). */
export interface PrivateBoardAccess {
  /** Show the Public / Private switch: the board is revealed, or the caller runs the season. */
  see: boolean;
  /** Offer "Reveal private board": admins, before the reveal. */
  reveal: boolean;
}

/**
 * Without tokens (a local API) everyone is an admin, as elsewhere in the app. Operators and
 * admins see the private board before its reveal; everyone sees it after. A benchmark view
 * without `privateBoard` (an API without private boards) offers nothing.
 */
export function privateBoardAccess(b: Pick<BenchmarkView, 'privateBoard'> | undefined, session: Pick<SessionView, 'authRequired' | 'role'> | undefined): PrivateBoardAccess {
  if (!b?.privateBoard) return { see: false, reveal: false };
  const admin = session?.authRequired === false || session?.role === 'admin';
  const runsSeason = admin || session?.role === 'operator';
  return { see: b.privateBoard.revealed || runsSeason, reveal: admin && !b.privateBoard.revealed };
}

/** The rule of the board shown: the phase's own where the phase has one (issue 19), else the benchmark's. */
export function boardRuleOf(b: BenchmarkView, phase: string | undefined): BenchmarkView['board'] {
  return (phase !== undefined ? b.phases?.find((p) => p.name === phase)?.board : undefined) ?? b.board;
}

/** The board's rule in words: which run of a model stands for it on the board shown. */
export function ruleWords(board: BenchmarkView['board'], shown: BoardName): string {
  const rule = board?.rule ?? 'best';
  if (rule === 'last') return "each model's latest scored run";
  if (rule === 'selected' && shown === 'private') {
    const k = board?.selectLimit ?? 2;
    return `the runs each model's submitter selected (up to ${k}; if none, its ${k} best public runs), the one with the best private score`;
  }
  if (rule === 'selected') return "each model's best run (the private board counts the runs its submitter selects)";
  return "each model's best run";
}

/**
 * The tooltip of a board row scored by an older evaluator than the board's current one (issue 19):
 * `scored by an older evaluator sha256:0123456789ab…; re-score to update`; undefined for any other row.
 */
export function olderEvaluatorTitle(entry: { olderEvaluator?: boolean; bestRun: { evaluatorImage?: string } }): string | undefined {
  if (!entry.olderEvaluator) return undefined;
  const image = entry.bestRun.evaluatorImage ?? '';
  const short = image.replace(/sha256:([0-9a-f]{12})[0-9a-f]*$/, 'sha256:$1…');
  return `scored by an older evaluator ${short}; re-score to update`;
}
