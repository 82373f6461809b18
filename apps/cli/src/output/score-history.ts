import type { RunView } from '@modelrun/contracts';
import { score } from './format';
import { printable } from './printable';
import { formatTable } from './table';

/** The short form of an evaluator image's digest (its first 12 hex digits), as `docker images` shows ids. */
export function shortDigest(image: string | undefined): string {
  if (!image) return '-';
  const hex = /sha256:([0-9a-f]{12})/.exec(image);
  return hex ? hex[1]! : printable(image).slice(0, 24);
}

/**
 * A re-scored run's score history (issue 19), oldest first: when, the score (or why the
 * evaluator failed: the score was kept), the evaluator's short digest and which re-score.
 * Empty for a run never re-scored.
 */
export function formatScoreHistory(run: RunView): string {
  const history = run.scoreHistory ?? [];
  if (history.length === 0) return '';
  return `score history:\n${formatTable(
    ['  when', 'score', 'evaluator', 're-score'],
    history.map((e) => [`  ${e.at}`, e.error !== undefined ? `failed: ${printable(e.error)}` : e.score === undefined ? '-' : score(e.score), shortDigest(e.evaluatorImage), e.rescoreId ?? 'original']),
    [1],
  )}`;
}
