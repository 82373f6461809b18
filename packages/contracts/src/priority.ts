import { z } from 'zod';

/**
 * A run's priority level: 1 runs first, 9 last. Runs of a lower level always start before those
 * of a higher one; within a level, submitters share the slots (see docs/operations/scaling.md).
 */
export const RunPriority = z.number().int().min(1).max(9);
export type RunPriority = z.infer<typeof RunPriority>;

/** The level of a submission that names none (nor does its benchmark). */
export const DEFAULT_RUN_PRIORITY: RunPriority = 5;

/** A re-run or re-score waits this many levels below the level its submission would have had (at most 9). */
export const RERUN_PRIORITY_DROP = 2;

/** The level of a re-run or re-score of a run submitted at `level`. */
export function rerunPriority(level: RunPriority): RunPriority {
  return Math.min(9, level + RERUN_PRIORITY_DROP);
}
