import type { Redis } from 'ioredis';
import { runCommand } from './commands';

/** The BullMQ keys of the queue a run waits in: where the enqueue looks to see which runs still wait. */
export interface FairShareQueue {
  /** The queue's name (`runs`, `runs-gpu`, ...): waiting runs are counted per queue. */
  name: string;
  /** BullMQ's `prioritized` sorted set of that queue (Queue.keys.prioritized). */
  prioritizedKey: string;
  /** BullMQ's `delayed` sorted set (a run waiting out a retry's backoff still waits). */
  delayedKey: string;
}

/** A run's entry that was added this recently may not be in the queue yet (the API joins before it adds the job). */
const JOIN_GRACE_MS = 60_000;
/** An entry nobody removed goes away after this long; so does a submitter's set once no run joined it for as long. */
const ENTRY_TTL_SECONDS = 7 * 24 * 3600;
/** How many of a submitter's oldest entries each enqueue checks are still waiting. */
const CHECKED_PER_JOIN = 3;

/**
 * Each submitter's runs waiting in each queue, in Redis (`<prefix>:fair:<queue>:<submitter>`,
 * and `<prefix>:fair:run:<id>` naming the set a run is in), shared by every API replica and
 * worker. The API asks for a run's rank as it enqueues it (its submitter's n-th waiting run has
 * rank n), which becomes its BullMQ priority; the worker that takes the run removes it.
 */
export class FairShare {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private entryKey(runId: string): string {
    return `${this.prefix}:fair:run:${runId}`;
  }

  /** Adds the run to its submitter's waiting runs in `queue`; @returns its rank there (1 for the submitter's only waiting run). */
  async enter(queue: FairShareQueue, submitter: string, runId: string, now = Date.now()): Promise<number> {
    const set = `${this.prefix}:fair:${queue.name}:${submitter}`;
    const keys = [set, this.entryKey(runId), queue.prioritizedKey, queue.delayedKey];
    return Number(await runCommand(this.redis, 'fairShareEnter', keys, [runId, now, JOIN_GRACE_MS, ENTRY_TTL_SECONDS, this.entryKey(''), CHECKED_PER_JOIN]));
  }

  /** The run no longer waits (a worker took it, or its enqueue failed). Idempotent. */
  async left(runId: string): Promise<void> {
    await runCommand(this.redis, 'fairShareLeave', [this.entryKey(runId)], [runId]);
  }
}
