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

/** A run joining its submitter's waiting runs in a queue (FairShare.enter). */
export interface FairShareEntry {
  queue: FairShareQueue;
  /** Whose share the run takes. */
  submitter: string;
  runId: string;
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

  /**
   * Adds runs to their submitters' waiting runs in their queues, in one script call however many
   * (the API enters concurrent submissions together), in order, exactly as one call each at
   * `now` would: two runs of one submitter in a queue get consecutive ranks.
   * @returns each run's rank there, in the entries' order (1 for its submitter's only waiting run)
   */
  async enter(entries: readonly FairShareEntry[], now = Date.now()): Promise<number[]> {
    if (entries.length === 0) return [];
    const keys = entries.flatMap((e) => [`${this.prefix}:fair:${e.queue.name}:${e.submitter}`, this.entryKey(e.runId), e.queue.prioritizedKey, e.queue.delayedKey]);
    const ranks = await runCommand(this.redis, 'fairShareEnter', keys, [now, JOIN_GRACE_MS, ENTRY_TTL_SECONDS, this.entryKey(''), CHECKED_PER_JOIN, ...entries.map((e) => e.runId)]);
    if (!Array.isArray(ranks) || ranks.length !== entries.length) throw new Error(`fair-share-enter.lua answered ${JSON.stringify(ranks)} for ${entries.length} runs`);
    return ranks.map(Number);
  }

  /** The run no longer waits (a worker took it, or its enqueue failed). Idempotent. */
  async left(runId: string): Promise<void> {
    await runCommand(this.redis, 'fairShareLeave', [this.entryKey(runId)], [runId]);
  }
}
