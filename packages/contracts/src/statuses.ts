// A run's statuses, phases and failure reasons, defined once. No imports: the web app's bundle
// takes this file as it is (@modelrun/contracts/statuses), without zod or Node's modules.

/** The statuses a run ends in: the only ones a record on the volume can have. */
export const FINAL_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];
export const RUN_STATUSES = ['queued', 'running', ...FINAL_STATUSES] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const FINAL = new Set<string>(FINAL_STATUSES);

/** Whether a run in this status has ended (and will not change again). */
export function isFinal(status: RunStatus): status is FinalStatus {
  return FINAL.has(status);
}

/**
 * Where a running run is: shown so nobody has to guess whether it is stuck. `evaluating`: a
 * benchmark run's model has finished and the benchmark's evaluator is scoring it. `recording`:
 * the run has ended and its outcome is pending in Redis until the volume takes its record.
 */
export const RUN_PHASES = ['pulling', 'starting', 'running', 'collecting', 'evaluating', 'recording'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/** Why a run did not succeed, machine-readable. */
export const FAILURE_REASONS = [
  'exit_code',
  'oom',
  'timeout',
  'bad_output',
  'image_not_found',
  /** The image is not allowed on this deployment (ALLOWED_IMAGES). Records before this reason said `image_not_found`. */
  'image_not_allowed',
  'registry_auth',
  'infrastructure',
  'cancelled',
  /** A benchmark's evaluator (the operator's image) failed: the platform's fault, not the model's. */
  'evaluator_failed',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];
