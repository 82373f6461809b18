import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { RUN_QUEUE, type RunJobData } from '@modelrun/contracts';

export type RunQueue = Queue<RunJobData>;

/** The queue of runs, on a connection the caller owns (BullMQ shares it, never closes it). */
export function createRunQueue(connection: Redis, prefix: string): RunQueue {
  return new Queue<RunJobData>(RUN_QUEUE, { connection, prefix });
}

/** QueueEvents needs a blocking connection of its own; BullMQ makes one from these options. */
export function createRunEvents(connection: Redis, prefix: string): QueueEvents {
  return new QueueEvents(RUN_QUEUE, { connection, prefix });
}
