import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RESCORE_OUTCOMES, type RescoreOutcome, type RescoreProgress } from '@modelrun/contracts';
import { runCommand } from './commands';

/** How long a record's lock lasts if its holder dies: it is held only while the record is read, changed and written. */
const RECORD_LOCK_MS = 10_000;
/** How long a re-score waits for another's lock on the same record before it gives up (and its job is retried). */
const RECORD_LOCK_WAIT_MS = 30_000;

/** A re-score's progress is kept this long after its last change (then it is gone, the records keep its entries). */
export const RESCORE_PROGRESS_TTL_SECONDS = 30 * 24 * 3600;

/**
 * The runs a re-score is pending for: retention never prunes them (their kept predictions are
 * what the re-score reads). A run joins when its job is queued and leaves when its outcome is
 * counted. Two re-scores of one run at once share its place: the first to end frees it.
 */
export function rescorePendingKey(deployment: string): string {
  return `${deployment}:rescore:pending`;
}

export interface RescoreStart {
  id: string;
  benchmark: string;
  phase?: string;
  requestedBy: string;
  createdAt: string;
  total: number;
  /** Runs counted as skipped at once (no kept predictions): no job is queued for them. */
  skipped: string[];
  /** Runs whose jobs are queued: pending until counted (rescorePendingKey). */
  queued?: string[];
}

/**
 * Each re-score's progress in Redis: what it is (benchmark, phase, who, when, how many runs),
 * and a count per outcome, each run counted once (commands/count-rescore.lua), so a job run
 * twice after a crash counts once.
 */
export class RescoreProgressStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(id: string): [string, string, string] {
    const base = `${this.prefix}:rescore:${id}`;
    return [base, `${base}:counted`, rescorePendingKey(this.prefix)];
  }

  async start(r: RescoreStart): Promise<void> {
    const [hash] = this.keys(r.id);
    const tx = this.redis
      .multi()
      .hset(hash, { benchmark: r.benchmark, ...(r.phase && { phase: r.phase }), requestedBy: r.requestedBy, createdAt: r.createdAt, total: r.total })
      .expire(hash, RESCORE_PROGRESS_TTL_SECONDS);
    if (r.queued?.length) tx.sadd(rescorePendingKey(this.prefix), ...r.queued);
    await tx.exec();
    for (const runId of r.skipped) await this.count(r.id, runId, 'skipped');
  }

  /** Counts `runId`'s outcome unless it was counted already. @returns whether it counted now. */
  async count(id: string, runId: string, outcome: RescoreOutcome): Promise<boolean> {
    return (await runCommand(this.redis, 'countRescore', this.keys(id), [runId, outcome, RESCORE_PROGRESS_TTL_SECONDS])) === 1;
  }

  /** The re-score's progress, or undefined when there is no such re-score (or it expired). */
  async get(id: string): Promise<RescoreProgress | undefined> {
    const [hash] = this.keys(id);
    const h = await this.redis.hgetall(hash);
    if (!h.benchmark) return undefined;
    const n = (field: string): number => Number(h[field] ?? 0);
    const counts = Object.fromEntries(RESCORE_OUTCOMES.map((o) => [o, n(o)])) as Record<RescoreOutcome, number>;
    return {
      id,
      benchmark: h.benchmark,
      ...(h.phase && { phase: h.phase }),
      ...(h.requestedBy && { requestedBy: h.requestedBy }),
      ...(h.createdAt && { createdAt: h.createdAt }),
      total: n('total'),
      done: RESCORE_OUTCOMES.reduce((sum, o) => sum + counts[o], 0),
      ...counts,
    };
  }

  /**
   * Runs `fn` (read, change and write a run's record) while no other re-score does it to the
   * same run, so two re-scores of one run at once (a one-run and a bulk one) keep both entries.
   * A holder that died lets go after RECORD_LOCK_MS.
   */
  async withRecordLock<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    const key = `${this.prefix}:rescore-lock:${runId}`;
    const token = randomBytes(12).toString('hex');
    const deadline = Date.now() + RECORD_LOCK_WAIT_MS;
    while ((await this.redis.set(key, token, 'PX', RECORD_LOCK_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Error(`run ${runId}'s record is locked by another re-score`);
      await sleep(50);
    }
    try {
      return await fn();
    } finally {
      await runCommand(this.redis, 'releaseLock', [key], [token]).catch(() => undefined);
    }
  }
}
