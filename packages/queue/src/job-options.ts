import type { JobsOptions } from 'bullmq';

/**
 * RUN_ATTEMPTS and RUN_BACKOFF_MS as a job carries them. What a try is, and what uses one up (a
 * platform fault does; a stall, and the takeover after a lost host, do not), is the worker's
 * retry policy: apps/worker/src/run/faults.ts (RetryBudget); this only puts the numbers on the job.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Delay before the first retry; it doubles with each attempt, with up to 50% jitter. */
  backoffMs: number;
}

/**
 * Options for a run's job. The job id is the run id, so a run is one job however often it is
 * delivered. Finished jobs stay a while for the dashboard; the volume holds the lasting record.
 */
export function runJobOptions(runId: string, retry: RetryPolicy): JobsOptions {
  return {
    jobId: runId,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}
