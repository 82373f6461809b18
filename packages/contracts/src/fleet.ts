import { z } from 'zod';

/**
 * The fleet as the API, the CLI and the web app show it: each worker host (one Docker engine),
 * its worker processes, and whether it takes runs. Written by the workers into Redis
 * (packages/run-control fleet-registry.ts), read by the API (`GET /v1/hosts`).
 */

/** Label keys: a letter first, then letters, digits, `.`, `_`, `-`, `/` (up to 63). */
export const LABEL_KEY = /^[A-Za-z][A-Za-z0-9._/-]{0,62}$/;
/** Label values: letters, digits, `.`, `_`, `-` (1 to 63). */
export const LABEL_VALUE = /^[A-Za-z0-9._-]{1,63}$/;

/** Labels a host advertises (WORKER_LABELS), e.g. `{ reference: 'digits', zone: 'a' }`. */
export const HostLabels = z.record(z.string(), z.string()).describe('Labels the host offers runs (WORKER_LABELS)');
export type HostLabels = z.infer<typeof HostLabels>;

/** A host id as workers name it (WORKER_HOST_ID or from docker info). */
export const HostId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : -');

/**
 * Whether a host takes runs:
 * - `active`: it does.
 * - `draining`: an operator drained it; its workers take nothing new and finish what they run.
 * - `drained`: drained, and nothing of it runs any more.
 */
export const DrainState = z.enum(['active', 'draining', 'drained']);
export type DrainState = z.infer<typeof DrainState>;

/** `live` while the host's lease is renewed; `lost` once it lapsed (kept in the view a day). */
export const HostState = z.enum(['live', 'lost']);
export type HostState = z.infer<typeof HostState>;

const Timestamp = z.iso.datetime();

/** One worker process on a host, as of its last heartbeat. */
export const WorkerProcessRecord = z.object({
  instanceId: z.string().describe('<hostname>:<pid>:<random>, unique across restarts'),
  pid: z.number().int(),
  hostname: z.string().describe("The machine's (or container's) hostname, which may differ from the host id"),
  version: z.string().describe("The worker's version"),
  concurrency: z.number().int().describe('Runs at once it takes (WORKER_CONCURRENCY plus its GPU slots)'),
  slotsBusy: z.number().int().describe('Runs it is running now'),
  queues: z.array(z.string()).describe('The queues it consumes'),
  metricsUrl: z.string().describe('Where its /metrics and /healthz are served (the real address, after any fallback port)'),
  startedAt: Timestamp,
  lastHeartbeat: Timestamp,
  takingRuns: z.boolean().describe('False while it refuses runs (drain, volume, engine); refusing says why'),
  refusing: z.string().optional(),
  engineUp: z.boolean(),
  volumeWritable: z.boolean(),
});
export type WorkerProcessRecord = z.infer<typeof WorkerProcessRecord>;

/** What a host's engine says of itself; refreshed about once a minute (docker info, docker df). */
export const EngineFacts = z.object({
  engineVersion: z.string(),
  runtimes: z.array(z.string()).describe('Runtimes the engine has (docker info Runtimes), e.g. runc, runsc, nvidia'),
  defaultRuntime: z.string().optional(),
  imagesCached: z.number().int().describe('Images the engine holds'),
  diskUsedBytes: z.number().describe("Bytes the engine's images, containers, volumes and build cache take (docker system df)"),
  imagesPruned: z.number().int().describe("Images the host's workers removed to keep its disk under WORKER_DISK_HIGH_PERCENT (docs/operations/disk.md)").optional(),
  prunedBytes: z.number().describe('Bytes of those images, as the engine counted their own layers').optional(),
  lastPrunedAt: Timestamp.describe('When the last of them was removed').optional(),
  checkedAt: Timestamp.describe('When the engine was last asked'),
});
export type EngineFacts = z.infer<typeof EngineFacts>;

export const GpuCounts = z.object({
  total: z.number().int().describe("Devices the host's workers hand out (WORKER_GPUS)"),
  free: z.number().int(),
  inUse: z.number().int(),
});
export type GpuCounts = z.infer<typeof GpuCounts>;

/** A drain an operator asked for: kept in Redis until resumed, across worker restarts. */
export const DrainRequest = z.object({ at: Timestamp, by: z.string().optional().describe('Who asked') });
export type DrainRequest = z.infer<typeof DrainRequest>;

/** A host as the fleet view shows it. */
export const HostRecord = z.object({
  id: z.string(),
  state: HostState,
  lostAt: Timestamp.optional().describe('When the lease lapsed, for a lost host'),
  labels: HostLabels,
  engine: EngineFacts.optional().describe('Absent until one of its workers asked the engine'),
  engineUp: z.boolean().describe('Every live process of the host reaches its engine'),
  volumeWritable: z.boolean().describe('Every live process of the host can write records to the volume'),
  gpus: GpuCounts.optional().describe('Absent for a CPU-only host'),
  lease: z.object({
    leftMs: z.number().describe('Milliseconds left of the lease (0 when it lapsed)'),
    expiresAt: Timestamp.describe('When it lapses (or lapsed) unless renewed'),
    periodMs: z.number().describe('WORKER_LEASE_SECONDS in ms'),
    ageMs: z.number().describe('Time since a worker of the host last renewed it'),
  }),
  lastSeen: Timestamp.describe('When a worker of the host last wrote its heartbeat'),
  drain: DrainState,
  drainRequest: DrainRequest.optional(),
  processes: z.array(WorkerProcessRecord).describe('Live processes (a dead one drops out after a lease period)'),
  runningCount: z.number().int().describe("Sum of the processes' slotsBusy"),
});
export type HostRecord = z.infer<typeof HostRecord>;

/** A run running on a host, from its ownership record. */
export const HostRun = z.object({ id: z.string(), queue: z.string(), fence: z.number().int().describe('Its fencing number on this host') });
export type HostRun = z.infer<typeof HostRun>;

/** `GET /v1/hosts/{id}` and each entry of `GET /v1/hosts`. */
export const HostView = HostRecord.extend({ runs: z.array(HostRun).describe('Runs running on the host (owned by it and active in a queue)') });
export type HostView = z.infer<typeof HostView>;

export const HostList = z.object({ hosts: z.array(HostView) });
export type HostList = z.infer<typeof HostList>;

/** A queue's figures: what an autoscaler reads (also on /metrics). */
export const QueueFigures = z.object({
  name: z.string(),
  waiting: z.number().int().describe('Runs ready to start (waiting or prioritized)'),
  running: z.number().int(),
  oldestWaitingSeconds: z.number().describe('Age of the oldest waiting run (0 when none waits)'),
  paused: z.boolean(),
});
export type QueueFigures = z.infer<typeof QueueFigures>;

export const QueueList = z.object({ queues: z.array(QueueFigures) });
export type QueueList = z.infer<typeof QueueList>;
