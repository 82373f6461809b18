import type { Job } from 'bullmq';
import type { AppliedLimits, BenchmarkDefinition, ImageAllowList, LimitPolicy, RunJobData, RunPhase, RunProgress, RunRecord } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import type { CancelWatch, QuotaLedger, RunControl, RunOwner, RunOwnership } from '@modelrun/run-control';
import type { ModelRunner } from '@modelrun/runner';
import type { DeviceReservation, GpuDevices } from '../gpu/devices';
import type { RecordStore, ResultsStore } from '@modelrun/store';
import type { Recorder } from '../recording/recorder';

/** Hooks for metrics; every one optional. */
export interface RunObserver {
  picked?(run: RunJobData, queuedMs: number): void;
  activeChanged?(delta: 1 | -1): void;
  containerStarted?(ms: number): void;
  adopted?(): void;
  retried?(): void;
  /** A delivery went back to the queue: another host with a live lease owns the run. */
  handedToOwner?(): void;
  /** This host took a run over from a host whose lease lapsed. */
  tookOver?(): void;
  finished?(record: RunRecord): void;
}

/** What the processor needs from the worker; wired in worker.ts. */
export interface ProcessorDeps {
  runner: ModelRunner;
  store: RecordStore;
  /** Writes records to the volume, or keeps them pending in Redis while it cannot take them. */
  recorder: Recorder;
  control: RunControl;
  /** Which host owns which run (exactly one container per run across engines). */
  ownership: RunOwnership;
  /** This worker's host: WORKER_HOST_ID or its engine's ID. */
  hostId: string;
  log: Logger;
  allowedImages: ImageAllowList;
  /** This worker's own ceilings: a job asking for more is held to them. */
  limits: LimitPolicy;
  /** Aborted when the worker stops waiting for running runs at shutdown. */
  handback: AbortSignal;
  /** How much of a run's output is kept (RUN_LOG_MAX_KB). */
  logMaxBytes: number;
  /** How long a phase stands before it is written (progress.ts); tests that follow every phase pass 0. */
  progressSettleMs?: number;
  /** Tells a run its cancel as it is asked for (cancel-watch.ts); without it a run polls the flag. */
  cancels?: Pick<CancelWatch, 'watch'>;
  /** How often a run without `cancels` checks whether it was cancelled (default 1000 ms). */
  cancelPollMs?: number;
  observer?: RunObserver;
  /** This worker's benchmarks (its own BENCHMARKS_FILE): a job names one, the evaluator comes from here. */
  benchmarks?: ReadonlyMap<string, BenchmarkDefinition>;
  /** Benchmark quotas: a run's end gives its caller's places back. */
  quotas?: QuotaLedger;
  /** Why this worker takes no new runs right now (its volume refuses writes, its engine is unreachable), or undefined. */
  refusing?(): string | undefined;
  /** Shown every fault of a run before it is decided on: an unreachable engine stops the worker taking runs. */
  sawFault?(err: unknown): void;
  /** The GPUs this worker hands out (WORKER_GPUS); none on a CPU-only worker. */
  gpus?: GpuDevices;
  /** How long a GPU run waits in the queue when this worker has no free devices for it (default 2000 ms). */
  gpuWaitMs?: number;
  /** Where benchmark runs' predictions and detailed results are kept beside their records; without it neither is. */
  results?: ResultsStore;
  /** Keep each benchmark run's predictions (KEEP_PREDICTIONS, default true). */
  keepPredictions?: boolean;
}

/** One delivery of one run: what every step is given. */
export interface RunContext {
  job: Job<RunJobData>;
  run: RunJobData;
  /** 1 for the first try; BullMQ's attemptsMade + 1. */
  attempt: number;
  /** The job's limits held to this worker's ceilings. */
  limits: AppliedLimits;
  log: Logger;
  /** Tells watchers where the run is; never waited on (see progress.ts). */
  progress(phase: RunPhase, extra?: Omit<RunProgress, 'phase'>): void;
  /** The delivery has ended: a phase not yet written is dropped. */
  endProgress(): void;
}

/**
 * A delivery admitted to run, once the run is claimed for this host: what every step from the
 * container on is given.
 */
export interface AdmittedRun extends RunContext {
  /** This delivery's hold on the run: checked again before the run is recorded. */
  readonly claim: OwnerClaim;
  /** The GPU devices the run's container gets (a run that asks for GPUs). */
  readonly gpuDevices?: string[];
  /**
   * The image reference this delivery runs, as pinned (`digest` none for an image without a
   * registry digest): prepare sets it, and the record names it without asking Redis again.
   * Unset until prepare, and for a run refused before it.
   */
  imagePin?: { digest?: string };
}

/**
 * The owner (host and fence) this delivery holds. The one thing that changes during a delivery:
 * assertOwner claims the run again when Redis lost its owner record (own.ts).
 */
export interface OwnerClaim {
  owner: RunOwner;
}

/** The GPU devices a delivery holds: its container's already, or a reservation released when the delivery ends. */
export interface GpuHold {
  devices: string[];
  reservation?: DeviceReservation;
}

/** When a step's times are known: a run that never started has only its end. */
export interface RunTimes {
  startedAt?: string;
  finishedAt?: string;
}

export function clampLimits(limits: AppliedLimits, policy: LimitPolicy): AppliedLimits {
  return {
    timeoutSeconds: Math.min(limits.timeoutSeconds, policy.ceilings.timeoutSeconds),
    memoryMb: Math.min(limits.memoryMb, policy.ceilings.memoryMb),
    cpus: Math.min(limits.cpus, policy.ceilings.cpus),
    gpus: Math.min(limits.gpus, policy.ceilings.gpus),
  };
}
