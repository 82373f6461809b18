import type { Redis } from 'ioredis';
import { runCommand } from './commands';
import { RunRecord } from '@modelrun/contracts';

/** A finished run whose record the volume has not taken yet. */
export interface PendingOutcome {
  record: RunRecord;
  /** The run's kept output, written to the volume before the record. */
  log?: Buffer;
  /** When the outcome was first kept. */
  since: string;
  /** The last error writing it to the volume, if a write failed. */
  error?: string;
}

/** A worker's report that its volume cannot be written. */
export interface VolumeFault {
  worker: string;
  error: string;
  since: string;
}

/** A worker's volume fault counts as current for this long after its last report. */
const FAULT_FRESH_MS = 60_000;

/**
 * Finished runs' outcomes kept in Redis (durable with AOF) from just before their record is
 * written to the volume until it is there, so a volume that is full or read-only loses no
 * result: any worker writes them later. Also where workers say their volume is unwritable, for
 * the API to show. All keys live under the queue prefix.
 */
export class PendingOutcomes {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(runId: string): string {
    return `${this.prefix}:ctl:pending:${runId}`;
  }

  private get setKey(): string {
    return `${this.prefix}:ctl:pending-ids`;
  }

  private get faultsKey(): string {
    return `${this.prefix}:ctl:volume-faults`;
  }

  /**
   * Keeps an outcome until `done`. Keeping it again replaces it (the same run's outcome). The
   * error that made it pending goes in with it, so it is never shown waiting without a reason.
   */
  async keep(outcome: PendingOutcome): Promise<void> {
    const id = outcome.record.id;
    const fields: Record<string, string | Buffer> = { record: JSON.stringify(outcome.record), since: outcome.since };
    if (outcome.log) fields.log = outcome.log;
    if (outcome.error) fields.error = outcome.error;
    await this.redis.multi().del(this.key(id)).hset(this.key(id), fields).sadd(this.setKey, id).exec();
  }

  /** Notes why the outcome could not be written yet (shown on the run). */
  async noteError(runId: string, error: string): Promise<void> {
    // Only while it is still pending: a note must not bring back an outcome already written.
    await runCommand(this.redis, 'notePendingError', [this.key(runId)], [error]);
  }

  async get(runId: string): Promise<PendingOutcome | undefined> {
    const raw = await this.redis.hgetallBuffer(this.key(runId));
    const record = raw.record?.toString();
    if (!record) return undefined;
    const parsed = RunRecord.safeParse(JSON.parse(record));
    if (!parsed.success) return undefined;
    return {
      record: parsed.data,
      since: raw.since?.toString() ?? parsed.data.finishedAt,
      ...(raw.log && { log: raw.log }),
      ...(raw.error && { error: raw.error.toString() }),
    };
  }

  async has(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(runId))) === 1;
  }

  /** Ids of every pending outcome, from any worker. */
  async ids(): Promise<string[]> {
    return this.redis.smembers(this.setKey);
  }

  /** The record is on the volume: forget the outcome. */
  async done(runId: string): Promise<void> {
    await this.redis.multi().del(this.key(runId)).srem(this.setKey, runId).exec();
  }

  /** Says (again) that `worker`'s volume is unwritable; `error` undefined clears it. */
  async reportVolumeFault(worker: string, fault: { error: string; since: string } | undefined): Promise<void> {
    if (!fault) {
      await this.redis.hdel(this.faultsKey, worker);
      return;
    }
    await this.redis.hset(this.faultsKey, worker, JSON.stringify({ ...fault, at: Date.now() }));
  }

  /** Volume faults reported within the last minute (a worker that died stops counting). */
  async volumeFaults(now = Date.now()): Promise<VolumeFault[]> {
    const all = await this.redis.hgetall(this.faultsKey);
    return Object.entries(all).flatMap(([worker, json]) => {
      try {
        const f = JSON.parse(json) as { error: string; since: string; at: number };
        return now - f.at <= FAULT_FRESH_MS ? [{ worker, error: f.error, since: f.since }] : [];
      } catch {
        return [];
      }
    });
  }
}
