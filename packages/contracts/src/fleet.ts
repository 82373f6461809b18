/**
 * The fleet as the API, the CLI and the web app show it: each worker host (one Docker engine),
 * its worker processes, and whether it takes runs. Written by the workers into Redis
 * (packages/run-control fleet-registry.ts), read by the API (`GET /v1/hosts`).
 */

/** Labels a host advertises (WORKER_LABELS), e.g. `{ reference: 'digits', zone: 'a' }`. */
export type HostLabels = Record<string, string>;

/** Label keys: a letter first, then letters, digits, `.`, `_`, `-`, `/` (up to 63). */
export const LABEL_KEY = /^[A-Za-z][A-Za-z0-9._/-]{0,62}$/;
/** Label values: letters, digits, `.`, `_`, `-` (1 to 63). */
export const LABEL_VALUE = /^[A-Za-z0-9._-]{1,63}$/;

/**
 * Whether a host takes runs:
 * - `active`: it does.
 * - `draining`: an operator drained it; its workers take nothing new and finish what they run.
 * - `drained`: drained, and nothing of it runs any more.
 */
export type DrainState = 'active' | 'draining' | 'drained';

/** `live` while the host's lease is renewed; `lost` once it lapsed (kept in the view a day). */
export type HostState = 'live' | 'lost';

/** One worker process on a host, as of its last heartbeat. */
export interface WorkerProcessRecord {
  /** `<hostname>:<pid>:<random>`: unique across restarts. */
  instanceId: string;
  pid: number;
  /** The machine's (or container's) hostname, which may differ from the host id. */
  hostname: string;
  /** The worker's version (its package version). */
  version: string;
  /** Runs at once this process takes from the CPU queue (WORKER_CONCURRENCY), plus its GPU slots. */
  concurrency: number;
  /** Runs this process is running now. */
  slotsBusy: number;
  /** The queues it consumes. */
  queues: string[];
  /** Where its /metrics and /healthz are served (the real address, after any fallback port). */
  metricsUrl: string;
  startedAt: string;
  lastHeartbeat: string;
  /** False while it refuses runs (drain, volume, engine); `refusing` says why. */
  takingRuns: boolean;
  refusing?: string;
  /** Its view of the engine and the volume. */
  engineUp: boolean;
  volumeWritable: boolean;
}

/** What a host's engine says of itself; refreshed about once a minute (docker info, docker df). */
export interface EngineFacts {
  engineVersion: string;
  /** Runtimes the engine has (docker info Runtimes), e.g. `runc`, `runsc`, `nvidia`. */
  runtimes: string[];
  defaultRuntime?: string;
  /** Images the engine holds. */
  imagesCached: number;
  /** Bytes the engine's images, containers and volumes take (docker system df). */
  diskUsedBytes: number;
  /** When the engine was last asked. */
  checkedAt: string;
}

export interface GpuCounts {
  /** Devices the host's workers hand out (WORKER_GPUS). */
  total: number;
  free: number;
  inUse: number;
}

/** A drain an operator asked for: kept in Redis until resumed, across worker restarts. */
export interface DrainRequest {
  at: string;
  /** Who asked (the caller's identity as the audit log names it). */
  by?: string;
}

/** A host as the fleet view shows it. */
export interface HostRecord {
  id: string;
  state: HostState;
  /** When the lease lapsed, for a lost host. */
  lostAt?: string;
  labels: HostLabels;
  /** Absent until one of its workers asked the engine. */
  engine?: EngineFacts;
  /** True while every live process of the host reaches its engine. */
  engineUp: boolean;
  /** True while every live process of the host can write records to the volume. */
  volumeWritable: boolean;
  /** Absent for a CPU-only host. */
  gpus?: GpuCounts;
  lease: {
    /** Milliseconds left of the lease (0 when it lapsed). */
    leftMs: number;
    /** When it lapses (or lapsed) unless renewed. */
    expiresAt: string;
    /** Its period (WORKER_LEASE_SECONDS). */
    periodMs: number;
    /** Time since a worker of the host last renewed it. */
    ageMs: number;
  };
  /** When a worker of the host last wrote its heartbeat. */
  lastSeen: string;
  drain: DrainState;
  drainRequest?: DrainRequest;
  /** Live processes (a dead one drops out after a lease period). */
  processes: WorkerProcessRecord[];
  /** Sum of the processes' slotsBusy. */
  runningCount: number;
}

/** A run running on a host, from its ownership record. */
export interface HostRun {
  id: string;
  queue: string;
  /** Its fencing number on this host. */
  fence: number;
}

/** `GET /v1/hosts/{id}` and each entry of `GET /v1/hosts`. */
export interface HostView extends HostRecord {
  runs: HostRun[];
}

export interface HostList {
  hosts: HostView[];
}

/** `GET /v1/queues` entries and the queue metrics: what an autoscaler reads. */
export interface QueueFigures {
  name: string;
  waiting: number;
  running: number;
  /** Age of the oldest waiting run in seconds (0 when none waits). */
  oldestWaitingSeconds: number;
  paused: boolean;
}
