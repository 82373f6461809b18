import type { Redis } from 'ioredis';
import type { DrainRequest, DrainState, EngineFacts, GpuCounts, HostLabels, HostRecord, WorkerProcessRecord } from '@modelrun/contracts';
import { RunOwnership } from './ownership';

/** A lost host stays in the view this long after its last heartbeat, then drops out. */
export const LOST_HOST_KEEP_SECONDS = 24 * 3600;

/** What one worker process writes each heartbeat. */
export interface Heartbeat {
  host: string;
  labels: HostLabels;
  /** The host's lease period (WORKER_LEASE_SECONDS), to tell when a silent host's lease lapsed. */
  leasePeriodMs: number;
  /** When this process last renewed the host's lease (ms since the epoch). */
  leaseRenewedAt: number;
  process: Omit<WorkerProcessRecord, 'lastHeartbeat'>;
  /** Only when the process asked the engine again (about once a minute): the last one stays otherwise. */
  engine?: EngineFacts;
  gpus?: GpuCounts;
}

/**
 * The fleet in Redis, under the deployment's prefix:
 * - `<p>:fleet:hosts`: sorted set of host ids by last heartbeat (ms), pruned a day after.
 * - `<p>:fleet:host:<id>`: hash of host facts (labels, engine facts, GPUs), expiring a day after the last heartbeat.
 * - `<p>:fleet:procs:<id>`: sorted set of the host's process ids by last heartbeat.
 * - `<p>:fleet:proc:<id>:<instance>`: a process's record (JSON), expiring a lease period after its last heartbeat.
 * - `<p>:fleet:drain:<id>`: the drain request (JSON), with no expiry: it outlives worker restarts until resumed.
 * Whether a host is live comes from its lease (ownership.ts), the same lease that guards its runs.
 */
export class FleetRegistry {
  private readonly ownership: RunOwnership;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.ownership = new RunOwnership(redis, prefix);
  }

  private key(...parts: string[]): string {
    return [this.prefix, 'fleet', ...parts].join(':');
  }

  /**
   * Writes a process's heartbeat and its host's facts.
   * @returns the host's drain request, if any: the worker stops taking runs while there is one.
   */
  async heartbeat(beat: Heartbeat, now = Date.now()): Promise<DrainRequest | undefined> {
    const p: WorkerProcessRecord = { ...beat.process, lastHeartbeat: new Date(now).toISOString() };
    // A process record outlives a missed heartbeat or two, not a dead process.
    const procTtlMs = Math.max(beat.leasePeriodMs, 3_000);
    const hostKey = this.key('host', beat.host);
    const fields: Record<string, string> = {
      labels: JSON.stringify(beat.labels),
      leasePeriodMs: String(beat.leasePeriodMs),
      leaseRenewedAt: String(beat.leaseRenewedAt),
      lastSeen: String(now),
    };
    if (beat.engine) fields.engine = JSON.stringify(beat.engine);
    if (beat.gpus) fields.gpus = JSON.stringify(beat.gpus);
    const replies = await this.redis
      .multi()
      .set(this.key('proc', beat.host, p.instanceId), JSON.stringify(p), 'PX', procTtlMs)
      .zadd(this.key('procs', beat.host), now, p.instanceId)
      .expire(this.key('procs', beat.host), LOST_HOST_KEEP_SECONDS)
      .hset(hostKey, fields)
      .expire(hostKey, LOST_HOST_KEEP_SECONDS)
      .zadd(this.key('hosts'), now, beat.host)
      .get(this.key('drain', beat.host))
      .exec();
    const drain = replies?.[6]?.[1];
    return typeof drain === 'string' ? (JSON.parse(drain) as DrainRequest) : undefined;
  }

  /** A process that stops cleanly takes itself out at once rather than a lease later. */
  async leave(host: string, instanceId: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.key('proc', host, instanceId))
      .zrem(this.key('procs', host), instanceId)
      .exec();
  }

  /** Every host seen in the last day, live and lost, by id. */
  async list(now = Date.now()): Promise<HostRecord[]> {
    await this.redis.zremrangebyscore(this.key('hosts'), '-inf', now - LOST_HOST_KEEP_SECONDS * 1000);
    const ids = (await this.redis.zrange(this.key('hosts'), '0', '-1')).sort();
    const hosts = await Promise.all(ids.map((id) => this.get(id, now)));
    return hosts.filter((h): h is HostRecord => h !== undefined);
  }

  /** One host, or undefined if none of its workers wrote in the last day. */
  async get(id: string, now = Date.now()): Promise<HostRecord | undefined> {
    const [facts, instances, drainRaw] = await Promise.all([this.redis.hgetall(this.key('host', id)), this.redis.zrange(this.key('procs', id), '0', '-1'), this.redis.get(this.key('drain', id))]);
    if (facts.lastSeen === undefined) return undefined;
    const processes = await this.processes(id, instances);
    const leftMs = await this.ownership.leaseLeftMs(id);
    const periodMs = Number(facts.leasePeriodMs ?? 0);
    const renewedAt = Number(facts.leaseRenewedAt ?? facts.lastSeen);
    const live = leftMs > 0;
    const runningCount = processes.reduce((n, p) => n + p.slotsBusy, 0);
    const drainRequest = drainRaw ? (JSON.parse(drainRaw) as DrainRequest) : undefined;
    const expiresAt = live ? now + leftMs : Math.min(now, renewedAt + periodMs);
    return {
      id,
      state: live ? 'live' : 'lost',
      ...(!live && { lostAt: new Date(expiresAt).toISOString() }),
      labels: JSON.parse(facts.labels ?? '{}') as HostLabels,
      ...(facts.engine && { engine: JSON.parse(facts.engine) as EngineFacts }),
      engineUp: live && processes.length > 0 && processes.every((p) => p.engineUp),
      volumeWritable: live && processes.length > 0 && processes.every((p) => p.volumeWritable),
      ...(facts.gpus && { gpus: JSON.parse(facts.gpus) as GpuCounts }),
      lease: { leftMs, expiresAt: new Date(expiresAt).toISOString(), periodMs, ageMs: Math.max(0, now - renewedAt) },
      lastSeen: new Date(Number(facts.lastSeen)).toISOString(),
      drain: drainState(drainRequest, processes),
      ...(drainRequest && { drainRequest }),
      processes,
      runningCount,
    };
  }

  /** The host's live processes; ids whose records expired (dead processes) are dropped from its set. */
  private async processes(host: string, instances: string[]): Promise<WorkerProcessRecord[]> {
    if (instances.length === 0) return [];
    const raw = await this.redis.mget(instances.map((i) => this.key('proc', host, i)));
    const gone = instances.filter((_, i) => raw[i] === null);
    if (gone.length > 0) await this.redis.zrem(this.key('procs', host), ...gone);
    return raw.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as WorkerProcessRecord);
  }

  /** The host's drain request, if any (workers read it with each heartbeat). */
  async drainRequest(host: string): Promise<DrainRequest | undefined> {
    const raw = await this.redis.get(this.key('drain', host));
    return raw ? (JSON.parse(raw) as DrainRequest) : undefined;
  }

  /** Drains a host: its workers take nothing new from their next heartbeat on. @returns false if it already was. */
  async drain(host: string, request: DrainRequest): Promise<boolean> {
    return (await this.redis.set(this.key('drain', host), JSON.stringify(request), 'NX')) === 'OK';
  }

  /** Puts a drained host back. @returns false if it was not drained. */
  async resume(host: string): Promise<boolean> {
    return (await this.redis.del(this.key('drain', host))) === 1;
  }
}

/**
 * `draining` until every live process of the host has stopped taking runs and none runs any;
 * a drained host with no live process is `drained` (nothing of it runs).
 */
export function drainState(request: DrainRequest | undefined, processes: WorkerProcessRecord[]): DrainState {
  if (!request) return 'active';
  return processes.every((p) => !p.takingRuns && p.slotsBusy === 0) ? 'drained' : 'draining';
}
