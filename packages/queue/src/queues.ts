import { type Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { GPU_RUN_QUEUE, RUN_QUEUE, type RunJobData, runQueueName } from '@modelrun/contracts';

export type RunQueue = Queue<RunJobData>;

/**
 * A queue of runs, on a connection the caller owns (BullMQ shares it, never closes it).
 * BullMQ re-emits connection errors on the queue; without a listener it prints them raw.
 */
export function createRunQueue(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined, name: string = RUN_QUEUE): RunQueue {
  const queue = new Queue<RunJobData>(name, { connection, prefix });
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
 * Both queues of runs: CPU runs in `runs`, GPU runs in `runs-gpu` (which only GPU workers
 * consume). A run is in exactly one of them, chosen by its limits; its id finds it in either.
 */
export class RunQueues {
  readonly cpu: RunQueue;
  readonly gpu: RunQueue;

  constructor(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined) {
    this.cpu = createRunQueue(connection, prefix, onError, RUN_QUEUE);
    this.gpu = createRunQueue(connection, prefix, onError, GPU_RUN_QUEUE);
  }

  get all(): RunQueue[] {
    return [this.cpu, this.gpu];
  }

  /** The queue a run belongs in. */
  for(run: Pick<RunJobData, 'limits'>): RunQueue {
    return runQueueName(run.limits.gpus) === GPU_RUN_QUEUE ? this.gpu : this.cpu;
  }

  /** The run's job, from whichever queue holds it. */
  async getJob(id: string): Promise<Job<RunJobData> | undefined> {
    const [cpu, gpu] = await Promise.all([this.cpu.getJob(id), this.gpu.getJob(id)]);
    return (cpu ?? gpu) as Job<RunJobData> | undefined;
  }

  /** BullMQ's state of the run's job, or `unknown` when neither queue has it. */
  async getJobState(id: string): Promise<string> {
    const [cpu, gpu] = await Promise.all([this.cpu.getJobState(id), this.gpu.getJobState(id)]);
    return cpu !== 'unknown' ? cpu : gpu;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((q) => q.close()));
  }
}
