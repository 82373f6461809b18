import type { Redis } from 'ioredis';
import type { BenchmarkQuotas } from '@modelrun/contracts';
import { runCommand } from './commands';

export const QUOTA_WINDOW_MS = 24 * 3600 * 1000;
/**
 * A running slot the worker never gave back (Redis unreachable at the run's end) frees itself
 * after this long, so a lost release cannot block a caller for good.
 */
export const STALE_SLOT_MS = 24 * 3600 * 1000;
/** What a caller over the concurrency quota is told to wait: runs end at their own pace. */
export const CONCURRENT_RETRY_SECONDS = 30;

export type QuotaDecision = { ok: true } | { ok: false; quota: 'perDay' | 'concurrent'; limit: number; retryAfterMs: number };

/**
 * Benchmark submission quotas, per caller and benchmark, kept in Redis so every API replica
 * counts the same. A submission takes a place in the caller's day and a running slot; the
 * run's end gives the slot back, and a failed or cancelled run gives its place in the day back
 * too (only counted submissions count, as on EvalAI).
 */
export class QuotaLedger {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(benchmark: string, caller: string): [string, string] {
    const base = `${this.prefix}:quota:${benchmark}:${caller}`;
    return [`${base}:day`, `${base}:live`];
  }

  /** Takes a place for `runId` if the quotas allow it. */
  async reserve(benchmark: string, caller: string, runId: string, quotas: BenchmarkQuotas, now = Date.now()): Promise<QuotaDecision> {
    if (!quotas.perDay && !quotas.concurrent) return { ok: true };
    const [day, live] = this.keys(benchmark, caller);
    // Both checks and both additions in one step (commands/reserve-quota.lua), so replicas
    // racing for a caller's last slot cannot both take it.
    const [code, retryAfterMs] = (await runCommand(this.redis, 'reserveQuota', [day, live], [now, QUOTA_WINDOW_MS, quotas.perDay ?? 0, quotas.concurrent ?? 0, runId, STALE_SLOT_MS])) as [
      number,
      number,
    ];
    if (code === 1) return { ok: false, quota: 'perDay', limit: quotas.perDay!, retryAfterMs: Math.max(0, retryAfterMs) };
    if (code === 2) return { ok: false, quota: 'concurrent', limit: quotas.concurrent!, retryAfterMs: CONCURRENT_RETRY_SECONDS * 1000 };
    return { ok: true };
  }

  /**
   * The run ended (or never got queued): its running slot is free, and unless it is `counted`
   * (it succeeded) its place in the day too. Safe to repeat.
   */
  async release(benchmark: string, caller: string, runId: string, counted: boolean): Promise<void> {
    const [day, live] = this.keys(benchmark, caller);
    const tx = this.redis.multi().zrem(live, runId);
    if (!counted) tx.zrem(day, runId);
    await tx.exec();
  }
}
