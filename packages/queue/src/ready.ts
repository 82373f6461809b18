import type { Redis } from 'ioredis';
import type { RedisTarget } from '@modelrun/config';
import { checkRedisPersistence } from './persistence';
import { redactUrl, waitForRedis } from './redis';

/**
 * Waits for Redis and, unless told otherwise, checks it keeps jobs safe. Throws an error whose
 * message says what is wrong and how to fix it (for a process to print and exit on).
 */
export async function ensureRedisReady(redis: Redis, target: RedisTarget, requirePersistence: boolean): Promise<void> {
  try {
    await waitForRedis(redis, target, 10_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}: start Redis (e.g. redis-server --appendonly yes --maxmemory-policy noeviction) or set REDIS_URL`);
  }
  if (!requirePersistence) return;
  const problems = await checkRedisPersistence(redis);
  if (problems.length) {
    throw new Error(`unsafe Redis at ${redactUrl(target)}:\n  - ${problems.join('\n  - ')}\n(set REDIS_REQUIRE_PERSISTENCE=false to run anyway)`);
  }
}
