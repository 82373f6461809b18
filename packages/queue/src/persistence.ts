import type { Redis } from 'ioredis';

/**
 * Runs live in Redis until they finish. Without AOF a Redis restart loses every queued run,
 * and with an eviction policy Redis may drop jobs under memory pressure: either breaks the
 * promise that a submitted run ends exactly once.
 * @returns what is wrong, each with its fix; empty when Redis is safe.
 */
export async function checkRedisPersistence(redis: Redis): Promise<string[]> {
  let appendonly: string | undefined;
  let policy: string | undefined;
  try {
    appendonly = configValue(await redis.config('GET', 'appendonly'));
    policy = configValue(await redis.config('GET', 'maxmemory-policy'));
  } catch (err) {
    return [`could not read the Redis configuration (${(err as Error).message}); check by hand that appendonly is yes and maxmemory-policy is noeviction, then set REDIS_REQUIRE_PERSISTENCE=false`];
  }
  const problems: string[] = [];
  if (appendonly !== 'yes') {
    problems.push(`Redis has appendonly=${appendonly ?? '?'}: queued runs would be lost on a restart. Fix: redis-server --appendonly yes (or CONFIG SET appendonly yes and CONFIG REWRITE)`);
  }
  if (policy !== 'noeviction') {
    problems.push(`Redis has maxmemory-policy=${policy ?? '?'}: it may evict jobs under memory pressure. Fix: redis-server --maxmemory-policy noeviction (or CONFIG SET maxmemory-policy noeviction)`);
  }
  return problems;
}

function configValue(reply: unknown): string | undefined {
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
}
