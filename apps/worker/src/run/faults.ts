import { OwnedElsewhereError } from '@modelrun/run-control';
import { EngineLostError, EngineStoppedError, type ExitInfo, HandedBackError, ModelFault, type Outcome, OutputDroppedError } from '@modelrun/runner';

/**
 * The retry policy, in one place: how many tries a run gets and what a stall costs, which faults
 * are retried, what an engine's stop of a run's container means, and how many tries a run took.
 * The model's faults are final; the platform's (the engine's verdicts among them: EngineLostError,
 * EngineStoppedError) are retried until the attempts run out. Pure functions of what the steps
 * saw; processor.ts acts on their answers. The numbers come from config; what they mean is here.
 */

/** The budget's numbers, as configured. */
export interface RetryBudget {
  /**
   * RUN_ATTEMPTS: the tries a run gets in all, the first included. The API enqueues the run with
   * it as BullMQ's job `attempts` (runJobOptions), so a run keeps the budget it was submitted
   * under. A platform fault uses up a try (decideFault `retry`, then `give-up`); a takeover (the
   * run's host lost its lease, another host runs it anew) follows a stall and uses up none, but
   * both keep an attempt error, so the tries a record shows count them (countAttempts).
   */
  attempts: number;
  /**
   * WORKER_MAX_STALLED: the stalls a run survives. A stall is a delivery whose worker died holding
   * the job (its lock not renewed): BullMQ puts the job back without using up a try, so a stall
   * costs no attempt; past this many stalls BullMQ fails the job at its next delivery, without
   * running it, and the run is recorded `infrastructure` by recordAbandonedRun (abandoned.ts).
   */
  maxStalledCount: number;
}

/** The BullMQ Worker options that hold a run to the stall half of its budget. */
export function stallOptions(budget: Pick<RetryBudget, 'maxStalledCount'>): { maxStalledCount: number } {
  return { maxStalledCount: budget.maxStalledCount };
}

/** The tries a delivered run has in all: its job's `attempts`; a job added without one gets one try, as in BullMQ. */
export function attemptsOf(job: { opts: { attempts?: number } }): number {
  return job.opts.attempts ?? 1;
}

/**
 * Whether earlier deliveries of a run can have kept attempt errors: a retried fault keeps one per
 * try (attempt past 1), and a takeover keeps one per host lost (fence past 1). The first try on
 * the run's first host has none, and need not ask Redis.
 */
export function mayHaveKeptErrors(attempt: number, fence: number): boolean {
  return attempt > 1 || fence > 1;
}

/** What to do about the fault that ended a try (decideFault). */
export type FaultDecision =
  /** Another host (or a later fence) owns the run now: its container here goes, nothing is recorded. */
  | { kind: 'owned-elsewhere'; error: OwnedElsewhereError }
  /** The worker is shutting down: the run goes back to the queue, its container keeps running. */
  | { kind: 'hand-back' }
  /** The model (or its image) is at fault: recorded as failed at once, never retried. */
  | { kind: 'model-fault'; fault: ModelFault }
  /**
   * The platform failed and attempts remain: BullMQ retries with backoff; the container is kept
   * for adoption. `engineLostAt`: this delivery lost the engine while the container ran, noted
   * with the run so the retry can tell an engine's stop from the model's own end.
   */
  | { kind: 'retry'; attemptsLeft: number; engineLostAt?: string }
  /** The platform failed on the last attempt: recorded as failed with reason `infrastructure`. */
  | { kind: 'give-up' };

export function decideFault(err: unknown, attempt: number, attempts: number): FaultDecision {
  if (err instanceof OwnedElsewhereError) return { kind: 'owned-elsewhere', error: err };
  if (err instanceof HandedBackError) return { kind: 'hand-back' };
  if (err instanceof ModelFault) return { kind: 'model-fault', fault: err };
  if (attempt < attempts) return { kind: 'retry', attemptsLeft: attempts - attempt, ...(err instanceof EngineLostError && { engineLostAt: err.lostAt }) };
  return { kind: 'give-up' };
}

/**
 * What a stopped container's outcome stands for. One the engine ended (exit.engineStopped) is
 * the model's only if it finished anyway (a model that wrote its score and exited 0 on the
 * engine's SIGTERM); any other end is the engine's doing, a platform fault: the run starts
 * again in a new container, under the same attempt budget as every other fault.
 */
export function decideEnd(
  exit: ExitInfo,
  outcome: Outcome,
  output: { heldThroughEngineLoss: boolean; entries?: number; dropped?: boolean; engineClosing?: boolean } = { heldThroughEngineLoss: false },
): { kind: 'keep' } | { kind: 'rerun'; fault: EngineStoppedError | OutputDroppedError } {
  if (exit.engineStopped && outcome.status !== 'succeeded') return { kind: 'rerun', fault: new EngineStoppedError(exit.exitCode) };
  const dropped = droppedOutput(exit, output, outcome);
  if (dropped) return { kind: 'rerun', fault: dropped };
  // A container that ran through a lost engine (live-restore) and left an empty output folder:
  // the engine's restart dropped the tmpfs it wrote to. Never the model's "no score"; a blip
  // that was no restart leaves the output as it was, and a model that wrote nothing at all
  // is judged on the next try.
  if (output.heldThroughEngineLoss && output.entries === 0 && outcome.status !== 'succeeded' && !exit.timedOut && !exit.cancelled && !exit.oomKilled) {
    return { kind: 'rerun', fault: new OutputDroppedError() };
  }
  return { kind: 'keep' };
}

/**
 * The one rule for an output read back empty because nothing held its tmpfs (its keeper had
 * stopped, so the engine unmounted the volume when the container exited: collect's `dropped`).
 * Whatever the container wrote went with the volume, so its "no score" is not its own: the
 * platform's fault, retried. Shared by the model's output (decideEnd), the evaluator's in a
 * run's evaluation step (evaluate.ts) and in a re-score (rescore.ts). An end the output cannot
 * explain (a timeout, a cancel, an OOM kill) stays what it was.
 */
export function droppedOutput(
  exit: ExitInfo,
  output: { entries?: number; dropped?: boolean; engineClosing?: boolean } | undefined,
  outcome: Outcome,
  of: 'model' | 'evaluator' = 'model',
): OutputDroppedError | undefined {
  if (!output?.dropped || output.entries !== 0 || outcome.status === 'succeeded') return undefined;
  if (exit.timedOut || exit.cancelled || exit.oomKilled) return undefined;
  return new OutputDroppedError(output.engineClosing ? 'engine-closing' : true, of);
}

/**
 * How many tries a run took, counted from the deliveries recorded with it: each failed try (a
 * fault retried, a host lost and its run taken over) keeps one attempt error, and the delivery
 * that records the run is one more, unless it is the one that gave up (its error is kept
 * already). BullMQ's own count is the floor, for errors Redis lost.
 */
export function countAttempts(attempt: number, keptErrors: number, outcome: Outcome): number {
  const gaveUp = outcome.status === 'failed' && outcome.reason === 'infrastructure';
  return Math.max(attempt, keptErrors + (gaveUp ? 0 : 1));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function gaveUpMessage(attempt: number, err: unknown): string {
  return `the platform failed to run the model after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${errorMessage(err)}`;
}
