import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { RUN_QUEUE, type RunJobData } from '@modelrun/contracts';

export type RunQueue = Queue<RunJobData>;

/**
 * The queue of runs, on a connection the caller owns (BullMQ shares it, never closes it).
 * BullMQ re-emits connection errors on the queue; without a listener it prints them raw.
 */
export function createRunQueue(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined): RunQueue {
  const queue = new Queue<RunJobData>(RUN_QUEUE, { connection, prefix });
  queue.on('error', onError);
  return queue;
}

/** QueueEvents blocks on its connection: give it one of its own. */
export function createRunEvents(connection: Redis, prefix: string, onError: (err: Error) => void): QueueEvents {
  const events = new QueueEvents(RUN_QUEUE, { connection, prefix });
  events.on('error', onError);
  return events;
}
