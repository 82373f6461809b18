import type { Redis } from 'ioredis';
import type { HostRun, HostView, QueueFigures } from '@modelrun/contracts';
import type { RunQueues } from '@modelrun/queue';
import { FleetRegistry, RunOwnership } from '@modelrun/run-control';
import { NotFound, viaRedis } from './errors';
import { queueFigures } from './queue-figures';

/**
 * The fleet view and its controls: hosts from the registry the workers write, the runs on each
 * from the ownership records of the runs active in the queues (active runs are few: at most the
 * fleet's slots), drain and resume of a host, pause and resume of a queue (BullMQ's own pause,
 * which every worker of every host obeys).
 */
export class FleetService {
  private readonly registry: FleetRegistry;
  private readonly ownership: RunOwnership;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly queues: RunQueues,
  ) {
    this.registry = new FleetRegistry(redis, prefix);
    this.ownership = new RunOwnership(redis, prefix);
  }

  async list(): Promise<HostView[]> {
    const [hosts, runs] = await viaRedis(() => Promise.all([this.registry.list(), this.runsByHost()]));
    return hosts.map((h) => ({ ...h, runs: runs.get(h.id) ?? [] }));
  }

  async get(id: string): Promise<HostView> {
    const [host, runs] = await viaRedis(() => Promise.all([this.registry.get(id), this.runsByHost()]));
    if (!host) throw new NotFound(`no host ${id} has been seen in the last day`);
    return { ...host, runs: runs.get(id) ?? [] };
  }

  /** Drains a host its workers have announced. @returns the host, and whether this call changed it. */
  async drain(id: string, by: string): Promise<{ host: HostView; changed: boolean }> {
    await this.get(id);
    const changed = await viaRedis(() => this.registry.drain(id, { at: new Date().toISOString(), by }));
    return { host: await this.get(id), changed };
  }

  async resume(id: string): Promise<{ host: HostView; changed: boolean }> {
    await this.get(id);
    const changed = await viaRedis(() => this.registry.resume(id));
    return { host: await this.get(id), changed };
  }

  async queueList(): Promise<QueueFigures[]> {
    return viaRedis(() => Promise.all(this.queues.all.map((q) => queueFigures(q))));
  }

  /** Pauses (or resumes) a queue for every worker. @returns its figures, and whether this call changed it. */
  async pauseQueue(name: string, paused: boolean): Promise<{ queue: QueueFigures; changed: boolean }> {
    const queue = this.queues.all.find((q) => q.name === name);
    if (!queue) throw new NotFound(`no queue ${name}; the queues are ${this.queues.all.map((q) => q.name).join(', ')}`);
    const was = await viaRedis(() => queue.isPaused());
    if (was !== paused) await viaRedis(() => (paused ? queue.pause() : queue.resume()));
    return { queue: await viaRedis(() => queueFigures(queue)), changed: was !== paused };
  }

  /** The runs active in the queues, by the host that owns each. */
  private async runsByHost(): Promise<Map<string, HostRun[]>> {
    const active = (await Promise.all(this.queues.all.map(async (q) => (await q.getJobs(['active'])).map((j) => ({ id: j?.id, queue: q.name }))))).flat();
    const owners = await Promise.all(active.map((a) => (a.id ? this.ownership.owner(a.id) : undefined)));
    const byHost = new Map<string, HostRun[]>();
    active.forEach((a, i) => {
      const owner = owners[i];
      if (!a.id || !owner) return;
      byHost.set(owner.host, [...(byHost.get(owner.host) ?? []), { id: a.id, queue: a.queue, fence: owner.fence }]);
    });
    return byHost;
  }
}
