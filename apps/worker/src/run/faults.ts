import { OwnedElsewhereError } from '@modelrun/run-control';
import { HandedBackError, ModelFault } from '@modelrun/runner';

/**
 * What to do about an error a run's steps threw. The one place that decides which faults are
 * retried: the model's are final, the platform's are retried until the attempts run out.
 */
export type FaultDecision =
  /** Another host (or a later fence) owns the run now: its container here goes, nothing is recorded. */
  | { kind: 'owned-elsewhere'; error: OwnedElsewhereError }
  /** The worker is shutting down: the run goes back to the queue, its container keeps running. */
  | { kind: 'hand-back' }
  /** The model (or its image) is at fault: recorded as failed at once, never retried. */
  | { kind: 'model-fault'; fault: ModelFault }
  /** The platform failed and attempts remain: BullMQ retries with backoff; the container is kept for adoption. */
  | { kind: 'retry'; attemptsLeft: number }
  /** The platform failed on the last attempt: recorded as failed with reason `infrastructure`. */
  | { kind: 'give-up' };

export function decideFault(err: unknown, attempt: number, attempts: number): FaultDecision {
  if (err instanceof OwnedElsewhereError) return { kind: 'owned-elsewhere', error: err };
  if (err instanceof HandedBackError) return { kind: 'hand-back' };
  if (err instanceof ModelFault) return { kind: 'model-fault', fault: err };
  if (attempt < attempts) return { kind: 'retry', attemptsLeft: attempts - attempt };
  return { kind: 'give-up' };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function gaveUpMessage(attempt: number, err: unknown): string {
  return `the platform failed to run the model after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${errorMessage(err)}`;
}
