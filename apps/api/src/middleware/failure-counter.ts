import type { Redis } from 'ioredis';
import type { Logger } from '@modelrun/logger';

/** Failures per key in fixed windows: how many so far, and how long until the window ends. */
export interface FailureCounter {
  get(key: string): Promise<{ count: number; resetMs: number }>;
  add(key: string): Promise<void>;
}

/** Most keys kept in memory: an attacker rotating addresses must not grow the process without bound. */
const MAX_KEYS = 100_000;

/** One process's count: for an API without Redis (tests), and while Redis does not answer. */
export class MemoryFailureCounter implements FailureCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly windowMs: number,
    /** The clock (tests pass their own). */
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<{ count: number; resetMs: number }> {
    const w = this.windows.get(key);
    const now = this.now();
    if (!w || w.resetAt <= now) return { count: 0, resetMs: 0 };
    return { count: w.count, resetMs: w.resetAt - now };
  }

  async add(key: string): Promise<void> {
    const now = this.now();
    const w = this.windows.get(key);
    if (w && w.resetAt > now) w.count += 1;
    else {
      this.windows.delete(key);
      this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
    }
    if (this.windows.size > MAX_KEYS) this.prune(now);
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    // Still full: the oldest windows go first (a Map iterates in insertion order).
    for (const k of this.windows.keys()) {
      if (this.windows.size <= MAX_KEYS) break;
      this.windows.delete(k);
    }
  }
}

/**
 * The count in Redis, so every API replica sees every replica's failures: an attacker cannot
 * multiply the limit by spreading guesses over replicas. While Redis does not answer, each
 * process counts on its own rather than letting guesses through uncounted.
 */
export class RedisFailureCounter implements FailureCounter {
  private readonly local: MemoryFailureCounter;
  private down = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly windowMs: number,
    private readonly log: Logger,
  ) {
    this.local = new MemoryFailureCounter(windowMs);
  }

  private key(key: string): string {
    return `${this.prefix}:auth-failures:${key}`;
  }

  async get(key: string): Promise<{ count: number; resetMs: number }> {
    try {
      const [count, ttl] = await this.redis.multi().get(this.key(key)).pttl(this.key(key)).exec().then(results);
      this.up();
      const shared = { count: Number(count ?? 0), resetMs: Math.max(0, Number(ttl)) };
      const local = await this.local.get(key);
      return local.count > shared.count ? local : shared;
    } catch (err) {
      this.fault(err);
      return this.local.get(key);
    }
  }

  async add(key: string): Promise<void> {
    // Counted here as well, so failures made while Redis is away still count against the address.
    await this.local.add(key);
    try {
      // NX: the window runs from the first failure; later ones do not push it back.
      await this.redis.multi().incr(this.key(key)).pexpire(this.key(key), this.windowMs, 'NX').exec().then(results);
      this.up();
    } catch (err) {
      this.fault(err);
    }
  }

  private fault(err: unknown): void {
    if (!this.down) this.log.warn('auth failure counter: redis unavailable, counting in this process', { error: (err as Error).message });
    this.down = true;
  }

  private up(): void {
    this.down = false;
  }
}

/** The replies of a MULTI, or the first error among them. */
function results(replies: [Error | null, unknown][] | null): unknown[] {
  if (!replies) throw new Error('transaction aborted');
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
