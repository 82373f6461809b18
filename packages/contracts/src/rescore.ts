import { z } from 'zod';

/** The BullMQ queue of re-scores: the evaluator again on a run's kept predictions (issue 19). */
export const RESCORE_QUEUE = 'rescores';
export const RESCORE_JOB = 'rescore';

/** A re-score's id: time-ordered like a run's (UUIDv7), so it is also safe in container names. */
export const RESCORE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The job that re-scores one run for one re-score: deterministic, so a repeated request or a
 * redelivery finds the job already there instead of adding a second one.
 */
export function rescoreJobId(rescoreId: string, runId: string): string {
  return `rescore:${rescoreId}:${runId}`;
}

/** A re-score job: which run (its record is the truth for everything else) and which re-score it belongs to. */
export interface RescoreJobData {
  rescoreId: string;
  runId: string;
  name: string;
  benchmark: string;
}

/**
 * One score a run was given, and by which evaluator: the first entry is the original scoring,
 * each later one a re-score. A re-score whose evaluator failed has `error` and no score (the
 * run keeps the score it had).
 */
export const ScoreHistoryEntry = z.strictObject({
  at: z.iso.datetime().describe('When it was scored'),
  score: z.number().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  privateScore: z.number().optional(),
  privateMetrics: z.record(z.string(), z.number()).optional(),
  evaluatorImage: z.string().max(512).describe('The evaluator image that gave it (repo@sha256:… or sha256:…)').optional(),
  rescoreId: z.string().regex(RESCORE_ID_PATTERN).describe('The re-score that gave it (absent on the original scoring)').optional(),
  error: z.string().max(500).describe('A re-score whose evaluator failed or rejected the predictions: the score was kept').optional(),
});
export type ScoreHistoryEntry = z.infer<typeof ScoreHistoryEntry>;

/** What a re-score's runs came to so far; `done` is changed + unchanged + skipped + failed. */
export const RescoreProgress = z.strictObject({
  id: z.string(),
  benchmark: z.string(),
  phase: z.string().optional(),
  requestedBy: z.string().optional(),
  createdAt: z.iso.datetime().optional(),
  total: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative().describe('Runs without kept predictions (nothing to score)'),
  failed: z.number().int().nonnegative().describe('Runs whose evaluator failed: they keep their score'),
});
export type RescoreProgress = z.infer<typeof RescoreProgress>;

/** How one run's re-score ended, counted once per run in the re-score's progress. */
export type RescoreOutcome = 'changed' | 'unchanged' | 'skipped' | 'failed';
export const RESCORE_OUTCOMES: readonly RescoreOutcome[] = ['changed', 'unchanged', 'skipped', 'failed'];

export const RescoreRequest = z.strictObject({ phase: z.string().min(1).max(64).optional() });
export type RescoreRequest = z.infer<typeof RescoreRequest>;

/**
 * The run id a re-score's evaluator containers and volumes are named and labelled with: not the
 * run's, so nothing mistakes them for the run's own, and one per re-score, so two re-scores of
 * one run never share a container.
 */
export function rescoreContainerRunId(rescoreId: string, runId: string): string {
  return `rs-${rescoreId}-${runId}`;
}

/** Whether a container's run-id label is a re-score's (rescoreContainerRunId). */
export function isRescoreContainerRunId(label: string): boolean {
  return label.startsWith('rs-');
}
