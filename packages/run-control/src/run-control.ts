import type { ChainableCommander, Redis } from 'ioredis';
import { AttemptError } from '@modelrun/contracts';
import { cancelChannel, cancelKey } from './cancel-keys';
import { runCommand } from './commands';

const DAY = 24 * 3600;
/** How long an Idempotency-Key keeps pointing at its run (30 days, as with most payment APIs). */
export const IDEMPOTENCY_TTL_SECONDS = 30 * DAY;
/** Side state of a run that never finished is dropped after this long. */
const SIDE_STATE_TTL_SECONDS = 30 * DAY;
/** Live log entries kept per run while it runs (each at most LIVE_LOG_ENTRY_BYTES: 2 MiB of Redis at most). */
export const LIVE_LOG_ENTRIES = 256;
/** The most a writer puts in one live log entry (8 KiB). */
export const LIVE_LOG_ENTRY_BYTES = 8 * 1024;
/** How long live logs stay after the run ends, for followers to read the end of them. */
const LIVE_LOG_LINGER_SECONDS = 120;

export interface IdempotencyClaim {
  runId: string;
  /** sha256 of the request it was first used with. */
  requestHash: string;
}

export interface LiveLogEntry {
  id: string;
  data: Buffer;
}

/**
 * What the API and workers say to each other about a run outside its job: cancel requests,
 * idempotency keys, each attempt's error, live output. All keys live under the queue prefix.
 */
export class RunControl {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(kind: string, id: string): string {
    return `${this.prefix}:ctl:${kind}:${id}`;
  }

  /**
   * Marks a run cancelled and announces it to the workers (cancel-watch.ts): the one holding the
   * run stops it at once. @returns false if it already was.
   */
  async requestCancel(runId: string, at: Date): Promise<boolean> {
    const set = await this.redis.set(cancelKey(this.prefix, runId), at.toISOString(), 'EX', SIDE_STATE_TTL_SECONDS, 'NX');
    // Announced even when it was marked already: an earlier announcement may have been missed.
    await this.redis.publish(cancelChannel(this.prefix), runId);
    return set === 'OK';
  }

  /** @returns when the cancel was asked for, or undefined if it was not. */
  async cancelRequestedAt(runId: string): Promise<string | undefined> {
    return (await this.redis.get(cancelKey(this.prefix, runId))) ?? undefined;
  }

  /**
   * Pins the image reference a run resolved to at its first pull (`repo@sha256:…`): every later
   * attempt, adoption or takeover runs that, never the tag again. The first pin wins.
   * @returns the pinned reference (another delivery's, if it pinned first).
   */
  async pinImage(runId: string, ref: string): Promise<string> {
    // One round trip (Redis 7's SET NX GET): the value already there, or none when ours was set.
    const earlier = await this.redis.set(this.key('image', runId), ref, 'EX', SIDE_STATE_TTL_SECONDS, 'NX', 'GET');
    return earlier ?? ref;
  }

  /** The image reference pinned for a run, if its first pull resolved one. */
  async pinnedImage(runId: string): Promise<string | undefined> {
    return (await this.redis.get(this.key('image', runId))) ?? undefined;
  }

  async recordAttemptError(runId: string, error: AttemptError): Promise<void> {
    const key = this.key('attempts', runId);
    await this.redis.multi().rpush(key, JSON.stringify(error)).expire(key, SIDE_STATE_TTL_SECONDS).exec();
  }

  async attemptErrors(runId: string): Promise<AttemptError[]> {
    const rows = await this.redis.lrange(this.key('attempts', runId), 0, -1);
    return rows.flatMap((row) => {
      try {
        const parsed = AttemptError.safeParse(JSON.parse(row));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  }

  /** Notes that a worker lost the engine (its wait broke) at `at` while the run's container ran. */
  async noteEngineLost(runId: string, at: string): Promise<void> {
    const key = this.key('engine-lost', runId);
    await this.redis.multi().rpush(key, at).expire(key, SIDE_STATE_TTL_SECONDS).exec();
  }

  /** When workers lost the engine while the run's container ran (oldest first). */
  async engineLostAt(runId: string): Promise<string[]> {
    return this.redis.lrange(this.key('engine-lost', runId), 0, -1);
  }

  /**
   * Claims an idempotency key for a new run. If the key was claimed before, returns that claim
   * instead: the caller answers with the earlier run (or a conflict if the request differs).
   */
  async claimIdempotencyKey(keyHash: string, claim: IdempotencyClaim): Promise<IdempotencyClaim | undefined> {
    const key = this.key('idem', keyHash);
    const set = await this.redis.set(key, JSON.stringify(claim), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX');
    if (set === 'OK') return undefined;
    const existing = await this.redis.get(key);
    if (existing === null) return this.claimIdempotencyKey(keyHash, claim);
    return JSON.parse(existing) as IdempotencyClaim;
  }

  /** Lets go of a claim whose run could not be enqueued, so a retry with the key can succeed. */
  async releaseIdempotencyKey(keyHash: string, runId: string): Promise<void> {
    const key = this.key('idem', keyHash);
    // Only our own claim: compare and delete in one step.
    await runCommand(this.redis, 'releaseIdempotencyKey', [key], [runId]);
  }

  async appendLiveLog(runId: string, data: Buffer): Promise<void> {
    await this.appendLiveLogs(runId, [data]);
  }

  /**
   * Appends entries in one round trip, in order. The stream keeps about LIVE_LOG_ENTRIES of
   * them: a batch longer than that only costs Redis the trimming.
   */
  async appendLiveLogs(runId: string, entries: readonly Buffer[]): Promise<void> {
    if (entries.length === 0) return;
    const key = this.key('logs', runId);
    const tx = this.redis.multi();
    for (const data of entries) tx.xadd(key, 'MAXLEN', '~', LIVE_LOG_ENTRIES, '*', 'd', data);
    await tx.expire(key, SIDE_STATE_TTL_SECONDS).exec();
  }

  /** Every live log entry kept so far, without waiting. */
  async liveLog(runId: string): Promise<LiveLogEntry[]> {
    const rows = await this.redis.xrangeBuffer(this.key('logs', runId), '-', '+');
    return rows.map(([id, fields]) => ({ id: id.toString(), data: fields[1] ?? Buffer.alloc(0) }));
  }

  /**
   * Waits up to `blockMs` (0: not at all) for up to `count` live log entries after `afterId`.
   * A wait blocks its connection: pass a dedicated `client`.
   */
  async readLiveLog(runId: string, afterId: string, blockMs: number, client: Redis = this.redis, count = 512): Promise<LiveLogEntry[]> {
    const key = this.key('logs', runId);
    const reply = (await (blockMs > 0 ? client.xreadBuffer('COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, afterId) : client.xreadBuffer('COUNT', count, 'STREAMS', key, afterId))) as
      [Buffer, [Buffer, Buffer[]][]][] | null;
    if (!reply) return [];
    return (reply[0]?.[1] ?? []).map(([id, fields]) => ({ id: id.toString(), data: fields[1] ?? Buffer.alloc(0) }));
  }

  async hasLiveLog(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.key('logs', runId))) === 1;
  }

  /**
   * The run's record is written: its side state is no longer needed. It lingers a little
   * rather than vanishing, because the job still looks live until BullMQ finalizes it, and a
   * reader in that window must still see the cancel (or the live logs) it would have seen.
   */
  async clear(runId: string, also: (tx: ChainableCommander) => ChainableCommander = (tx) => tx): Promise<void> {
    // `also`: more of the run's clean-up (its owner record's linger), in the same transaction:
    // one round trip for all of it, and no half-cleared run.
    const tx = this.redis
      .multi()
      .expire(cancelKey(this.prefix, runId), LIVE_LOG_LINGER_SECONDS)
      .del(this.key('attempts', runId))
      .del(this.key('engine-lost', runId))
      .expire(this.key('logs', runId), LIVE_LOG_LINGER_SECONDS);
    const replies = await also(tx).exec();
    const failed = replies?.find(([err]) => err)?.[0];
    if (failed) throw failed;
  }
}
