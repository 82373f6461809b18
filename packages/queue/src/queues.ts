import { type Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { GPU_RUN_QUEUE, RUN_QUEUE, type RunJobData, runQueueName } from '@modelrun/contracts';
import { queueTelemetry } from '@modelrun/telemetry';
import { parseQueueName, routedQueueName } from './routing';

export type RunQueue = Queue<RunJobData>;

/**
 * A queue of runs, on a connection the caller owns (BullMQ shares it, never closes it).
 * BullMQ re-emits connection errors on the queue; without a listener it prints them raw.
 */
export function createRunQueue(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined, name: string = RUN_QUEUE): RunQueue {
  // With tracing on, queue.add opens a producer span and puts its context in the job for the worker.
  const queue = new Queue<RunJobData>(name, { connection, prefix, ...queueTelemetry() });
  queue.on('error', onError);
  return queue;
}

/** QueueEvents blocks on its connection: give it one of its own. */
export function createRunEvents(connection: Redis, prefix: string, onError: (err: Error) => void, name: string = RUN_QUEUE): QueueEvents {
  const events = new QueueEvents(name, { connection, prefix });
  events.on('error', onError);
  return events;
}

/**
 * Every queue of runs: CPU runs in `runs`, GPU runs in `runs-gpu` (which only GPU workers
 * consume), and a routed queue per set of host requirements (`runs@reference=digits`, see
 * routing.ts), each registered in a Redis set when first used so workers and other API replicas
 * find it. A run is in exactly one queue, chosen by its limits and requirements; its id finds it
 * in any of them.
 */
export class RunQueues {
  readonly cpu: RunQueue;
  readonly gpu: RunQueue;
  private readonly routed = new Map<string, RunQueue>();
  /** Routed queues this process has put in the Redis set: registered once each. */
  private readonly registered = new Set<string>();
  private readonly routedListeners: ((queue: RunQueue) => void)[] = [];

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.cpu = createRunQueue(connection, prefix, onError, RUN_QUEUE);
    this.gpu = createRunQueue(connection, prefix, onError, GPU_RUN_QUEUE);
  }

  /** The Redis set of routed queues' names. */
  get routesKey(): string {
    return routedQueuesKey(this.prefix);
  }

  /** Every queue of runs this process knows (routed ones once used here or found by discover()). */
  get all(): RunQueue[] {
    return [this.cpu, this.gpu, ...this.routed.values()];
  }

  /** The queue of that name (made on first use). */
  named(name: string): RunQueue {
    if (name === RUN_QUEUE) return this.cpu;
    if (name === GPU_RUN_QUEUE) return this.gpu;
    let q = this.routed.get(name);
    if (!q) {
      q = createRunQueue(this.connection, this.prefix, this.onError, name);
      this.routed.set(name, q);
      for (const listener of this.routedListeners) listener(q);
    }
    return q;
  }

  /** Calls `listener` with every routed queue this process knows, now and as each becomes known (a dashboard, queue events). */
  onRouted(listener: (queue: RunQueue) => void): void {
    this.routedListeners.push(listener);
    for (const q of this.routed.values()) listener(q);
  }

  /** The queue a run belongs in (not registered: enqueue through routeFor). */
  for(run: Pick<RunJobData, 'limits' | 'requires'>): RunQueue {
    return this.named(routedQueueName(runQueueName(run.limits.gpus), run.requires ?? []));
  }

  /** The queue a run belongs in, registered in Redis before anything is added to it, so workers that can take it find it. */
  async routeFor(run: Pick<RunJobData, 'limits' | 'requires'>): Promise<RunQueue> {
    const queue = this.for(run);
    if (this.routed.has(queue.name) && !this.registered.has(queue.name)) {
      await this.connection.sadd(this.routesKey, queue.name);
      this.registered.add(queue.name);
    }
    return queue;
  }

  /** Reads the set of routed queues; @returns the queues new to this process. */
  async discover(): Promise<RunQueue[]> {
    const names = await this.connection.smembers(this.routesKey);
    const fresh = names.filter((n) => !this.routed.has(n) && parseQueueName(n) !== undefined);
    return fresh.map((n) => this.named(n));
  }

  /** The run's job, from whichever queue holds it (the routed queues read again when none does). */
  async getJob(id: string): Promise<Job<RunJobData> | undefined> {
    const found = await firstJob(this.all, id);
    if (found) return found;
    const fresh = await this.discover();
    return fresh.length > 0 ? firstJob(fresh, id) : undefined;
  }

  /** BullMQ's state of the run's job, or `unknown` when no queue has it. */
  async getJobState(id: string): Promise<string> {
    const job = await this.getJob(id);
    return job ? job.getState() : 'unknown';
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((q) => q.close()));
  }
}

/** The Redis set that names every routed queue of a deployment. */
export function routedQueuesKey(prefix: string): string {
  return `${prefix}:ctl:routed-queues`;
}

async function firstJob(queues: RunQueue[], id: string): Promise<Job<RunJobData> | undefined> {
  const jobs = await Promise.all(queues.map((q) => q.getJob(id)));
  return jobs.find((j) => j !== undefined) as Job<RunJobData> | undefined;
}
