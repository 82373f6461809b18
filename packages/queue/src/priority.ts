import type { RunPriority } from '@modelrun/contracts';

/**
 * BullMQ priorities a level spans. BullMQ takes 1 to 2^21 - 1 (lower first; 0 would mean none,
 * and such jobs go before every prioritized one), so nine levels of 200 000 fit.
 */
export const LEVEL_SPAN = 200_000;

/**
 * The BullMQ priority of a run at `level` that is its submitter's `rank`-th waiting run in its
 * queue: every run of a lower level first, then by rank, so each submitter's first waiting run
 * goes before anyone's second. Equal priorities start in the order they were added. A rank past
 * the span (a submitter with 200 000 runs waiting) stays last in its level.
 */
export function jobPriority(level: RunPriority, rank: number): number {
  return (level - 1) * LEVEL_SPAN + Math.min(Math.max(1, Math.floor(rank)), LEVEL_SPAN - 1);
}
