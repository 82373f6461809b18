import type { AppliedLimits, AttemptError, FailureReason, RunJobData, RunRecord } from '@modelrun/contracts';
import type { Outcome } from '@modelrun/runner';

export interface RecordTimes {
  startedAt?: string;
  finishedAt: string;
}

/** The lasting record of a run from how it ended. */
export function buildRecord(
  run: RunJobData,
  limits: AppliedLimits,
  outcome: Outcome,
  times: RecordTimes,
  attempts: number,
  attemptErrors: AttemptError[],
  logBytes?: number,
): RunRecord {
  const durationMs = times.startedAt ? Math.max(0, Date.parse(times.finishedAt) - Date.parse(times.startedAt)) : undefined;
  return {
    version: 1,
    id: run.id,
    name: run.name,
    image: run.image,
    status: outcome.status,
    ...(outcome.status === 'succeeded'
      ? { score: outcome.score, ...(outcome.metrics && { metrics: outcome.metrics }) }
      : { reason: outcome.reason, error: outcome.error }),
    exitCode: outcome.exitCode,
    limits,
    createdAt: run.createdAt,
    ...(times.startedAt && { startedAt: times.startedAt }),
    finishedAt: times.finishedAt,
    ...(durationMs !== undefined && { durationMs }),
    attempts,
    ...(attemptErrors.length > 0 && { attemptErrors }),
    ...(logBytes !== undefined && { logBytes }),
  };
}

/** An outcome decided before or without a container's exit (image missing, cancelled, given up). */
export function failure(reason: FailureReason, error: string, exitCode: number | null = null): Outcome {
  return { status: reason === 'cancelled' ? 'cancelled' : 'failed', reason, error, exitCode };
}
