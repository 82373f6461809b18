import type { RescoreOutcome, RunRecord, ScoreHistoryEntry } from '@modelrun/contracts';

/**
 * A run's score history (issue 19): the record's own, else one entry made from the record's
 * original scoring (records from before re-scoring have no history), at its end.
 */
export function historyOf(record: RunRecord): ScoreHistoryEntry[] {
  if (record.scoreHistory && record.scoreHistory.length > 0) return record.scoreHistory;
  return [
    {
      at: record.finishedAt,
      ...(record.score !== undefined && { score: record.score }),
      ...(record.metrics && { metrics: record.metrics }),
      ...(record.privateScore !== undefined && { privateScore: record.privateScore }),
      ...(record.privateMetrics && { privateMetrics: record.privateMetrics }),
      ...(record.evaluatorImage && { evaluatorImage: record.evaluatorImage }),
    },
  ];
}

/** What a re-score of one run came to: the record to write (none when it had the entry already) and how it counts. */
export interface RescoreApplied {
  /** The record with the new entry, or undefined when the record already has this re-score's entry (idempotence). */
  record?: RunRecord;
  outcome: RescoreOutcome;
}

/** What a re-scoring evaluator's details came to (kept-results.ts judgeDetails): kept, left out and why, or none. */
export type RescoredDetails = Pick<RunRecord, 'hasDetails' | 'detailsError'>;

/**
 * The record after a re-score's entry: the entry is added to the history, and unless it is a
 * failure (`error`) it becomes the record's score, metrics, private part and evaluator image, so
 * boards use it. The latest scoring is the whole truth: a part the new evaluator did not write
 * (a private part, detailed results) is not carried over from an older one, so `details` (what
 * the new evaluator's details came to) replaces the record's. A failed re-score changes none of
 * it. A record whose history already has an entry for the re-score is left as it is, and its
 * outcome is read back from that entry: a redelivered job counts the same way once.
 */
export function applyRescore(record: RunRecord, entry: ScoreHistoryEntry & { rescoreId: string }, details: RescoredDetails = {}): RescoreApplied {
  const history = historyOf(record);
  const seen = history.findIndex((e) => e.rescoreId === entry.rescoreId);
  if (seen >= 0) return { outcome: outcomeOf(history, seen) };
  const next = [...history, entry];
  const { score: _s, metrics: _m, privateScore: _ps, privateMetrics: _pm, evaluatorImage: _e, scoreHistory: _h, ...kept } = record;
  const rest = entry.error === undefined ? withDetails(kept, details) : kept;
  const latest = entry.error === undefined ? entry : latestScored(history);
  const rewritten: RunRecord = {
    ...rest,
    ...(latest?.score !== undefined && { score: latest.score }),
    ...(latest?.metrics && { metrics: latest.metrics }),
    ...(latest?.privateScore !== undefined && { privateScore: latest.privateScore }),
    ...(latest?.privateMetrics && { privateMetrics: latest.privateMetrics }),
    ...(latest?.evaluatorImage && { evaluatorImage: latest.evaluatorImage }),
    scoreHistory: next,
  };
  return { record: rewritten, outcome: outcomeOf(next, next.length - 1) };
}

/** How the history's entry at `index` counts: failed, or changed/unchanged against the score in force before it. */
export function outcomeOf(history: ScoreHistoryEntry[], index: number): RescoreOutcome {
  const entry = history[index]!;
  if (entry.error !== undefined) return 'failed';
  const before = latestScored(history.slice(0, index));
  const same = before !== undefined && before.score === entry.score && before.privateScore === entry.privateScore;
  return same ? 'unchanged' : 'changed';
}

/** The last entry that gave a score (a failed re-score gives none). */
function latestScored(history: ScoreHistoryEntry[]): ScoreHistoryEntry | undefined {
  return [...history].reverse().find((e) => e.error === undefined);
}

function withDetails<T extends Pick<RunRecord, 'hasDetails' | 'detailsError'>>(record: T, details: RescoredDetails): T {
  const { hasDetails: _d, detailsError: _de, ...rest } = record;
  return { ...rest, ...(details.hasDetails && { hasDetails: true }), ...(details.detailsError !== undefined && { detailsError: details.detailsError }) } as T;
}
