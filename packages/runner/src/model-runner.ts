import type { AppliedLimits, PullProgress, RunJobData } from '@modelrun/contracts';
import type { OutputContents } from './archive';
import type { ExitInfo } from './classify';
import type { EvaluationSpec } from './evaluator-sandbox';
import type { ImagePuller } from './image-pulls';
import type { OutputHoldReport } from './output-hold-report';

/**
 * What to run: the job's run (validated by the API, parsed again by the worker). The image is
 * as submitted; the runner pins `:latest` itself when no tag is given.
 */
export type RunSpec = Pick<RunJobData, 'name' | 'image' | 'limits'> & {
  runId: RunJobData['id'];
  /**
   * The run's owner (host and fencing number). A container made for another fence is never
   * adopted: it is removed and a new one made.
   */
  owner?: { host: string; fence: number };
  /** Set for a benchmark run: the model learns it from BENCHMARK. */
  benchmark?: string;
  /** The GPU device ids the run's container gets (one per GPU it asks for), handed out by the worker. */
  gpuDevices?: string[];
  /** The engine runtime of the model's container (its benchmark's); RUN_RUNTIME (or the engine's default) when unset. */
  runtime?: string;
};

export type ContainerState = 'created' | 'running' | 'exited';

export interface ContainerHandle {
  id: string;
  runId: string;
  /** True when the container was already there: a redelivered run picks up where it was. */
  adopted: boolean;
  state: ContainerState;
  startedAt?: string;
}

export interface PrepareOptions {
  /** The run's first delivery: no container can exist yet, so do not look for one first. */
  firstDelivery?: boolean;
  /** Called as the image is pulled, with the bytes so far (often: throttle it). */
  onPullProgress?: (progress: PullProgress) => void;
}

export interface WaitOptions {
  /** Aborted when the run is cancelled: the container is stopped and the run ends `cancelled`. */
  cancel?: AbortSignal;
  /** Aborted when the worker shuts down: waiting stops, the container is left for adoption. */
  handback?: AbortSignal;
  /** When earlier attempts lost the engine while this container ran (see engine-restart.ts). */
  engineLostAt?: readonly string[];
}

export interface CollectedLogs {
  bytes: Buffer;
  /** Bytes of earlier output that did not fit in the kept tail. */
  dropped: number;
}

/** What collect reads beside the score file. */
export interface CollectOptions {
  /** A short text file (at most 1 KiB), e.g. an evaluator's message.txt. */
  note?: string;
  /** A larger file within its own cap, e.g. an evaluator's details.json. */
  details?: { name: string; maxBytes: number };
}

/** A re-score's input (issue 19): a run's kept predictions (a tar), instead of a stopped model's container. */
export interface KeptPredictions {
  predictions: Buffer;
}

/** What prepareEvaluation does beside making the evaluator's container. */
export interface EvaluationOptions {
  /**
   * Given the predictions (the model's output, rebuilt as a tar) before the evaluator's
   * container exists, to keep them; not called when an existing evaluator is adopted.
   */
  keepPredictions?(tar: Buffer): Promise<void>;
}

export interface GpuDevicesInUse {
  runId: string;
  deployment: string;
  devices: string[];
}

export interface ManagedContainer {
  id: string;
  runId: string;
  state: string;
  /** Seconds since the container was created. */
  ageSeconds: number;
  timeoutSeconds: number;
  /** The owner's fencing number the container was made for (undefined for older containers). */
  fence?: number;
}

/**
 * How the worker gets a container for a run. The Docker implementation is the only one in
 * production; the interface keeps the run processor's logic readable and Docker-free.
 */
export interface ModelRunner {
  /** The engine's image pulls, which the pull-ahead shares with prepare (absent in runners that pull nothing). */
  readonly images?: ImagePuller;
  /** Throws InfrastructureError when the engine cannot be reached. */
  ping(): Promise<void>;
  /** A name for the engine (its host name and a digest of its ID and data root), which names this host when WORKER_HOST_ID is not set. */
  engineId(): Promise<string>;
  /**
   * Throws when the engine does not have the runtime runs are configured for (RUN_RUNTIME), so a
   * worker says so at start instead of failing every run at its create (absent in runners without one).
   */
  checkRuntime?(): Promise<void>;
  /** The runtimes the engine has (docker info), which the host offers runs as `runtime=<name>` labels (absent in runners without an engine). */
  runtimes?(): Promise<string[]>;
  /**
   * Finds the run's container and adopts it, or pulls the image if needed and creates one.
   * Throws ModelFault(`image_not_found` | `registry_auth` | `bad_output`), InfrastructureError.
   */
  prepare(spec: RunSpec, onPulled?: () => Promise<void> | void, opts?: PrepareOptions): Promise<ContainerHandle>;
  /**
   * What an image on this engine resolves to in its registry (`repo@sha256:…`), or undefined
   * when the engine has no registry digest for it (an image only built here). Absent in runners
   * that pull nothing.
   */
  resolveDigest?(image: string): Promise<string | undefined>;
  /**
   * The image a container was made from, as a reference that names exactly it: `ref`'s
   * repository at its registry digest when the engine has one, else the image's id (`sha256:…`).
   * Absent in runners without images.
   */
  imageIdentity?(handle: ContainerHandle, ref: string): Promise<string | undefined>;
  /** Starts a created container; a running or exited one is left as it is. */
  start(handle: ContainerHandle): Promise<ContainerHandle>;
  /** Waits for the container to stop, enforcing the time limit from its start. */
  wait(handle: ContainerHandle, limits: AppliedLimits, opts?: WaitOptions): Promise<ExitInfo>;
  /** Copies the output folder out of the stopped container and reads it within caps. */
  collect(handle: ContainerHandle, opts?: CollectOptions): Promise<OutputContents>;
  logs(handle: ContainerHandle): Promise<CollectedLogs>;
  /**
   * Follows a container's output, from its first byte, until it stops or `signal` aborts.
   * @returns true when it saw the output through to the container's stop (the whole of it).
   */
  followLogs(handle: ContainerHandle, onData: (chunk: Buffer) => void, signal: AbortSignal): Promise<boolean>;
  /** Removes the container and its output volume; a missing container is not an error. */
  remove(handle: Pick<ContainerHandle, 'id'>): Promise<void>;
  /** Removes a run's container, found by its name, if there is one. */
  removeRun(runId: string): Promise<void>;
  /**
   * Stops a run's container wherever it is (used to cancel a run another worker holds). With
   * `runningLongerThanSeconds`, only a container that has run longer than that since it started.
   */
  stopRun(runId: string, opts?: { runningLongerThanSeconds?: number }): Promise<boolean>;
  /** The GPU devices held by containers on this engine (any deployment's), by their labels. */
  gpuDevicesInUse(): Promise<GpuDevicesInUse[]>;
  /** Every container this deployment started, for the reconciler. */
  listManaged(): Promise<ManagedContainer[]>;
  /**
   * A benchmark run's second step: adopts the evaluator container a previous delivery left, or
   * copies the stopped model's output into a new predictions volume (ModelFault `bad_output`
   * when it breaks the rules) and creates the evaluator's container beside it.
   */
  prepareEvaluation(spec: EvaluationSpec, model: ContainerHandle | KeptPredictions, opts?: EvaluationOptions): Promise<ContainerHandle>;
  /** Removes a run's evaluator container and predictions volume, if there are any. */
  removeEvaluation(runId: string): Promise<void>;
  /** Every predictions volume this deployment made, with its run id, for the reconciler. */
  listPredictionVolumes(): Promise<{ name: string; runId: string }[]>;
  /**
   * For a container whose output read back dropped (collect's `dropped`): its keeper's state and
   * the engine's events for it, to log. Never throws. Absent in runners without an engine.
   */
  outputHoldReport?(handle: Pick<ContainerHandle, 'id'>): Promise<OutputHoldReport>;
}
