import type { Redis } from 'ioredis';
import type { RedisTarget } from '@modelrun/config';
import { StartupError } from '@modelrun/lifecycle';
import { checkRedisPersistence } from './persistence';
import { type RedisOptions, createRedis, redactUrl, waitForRedis } from './redis';

/**
 * A process's first Redis connection: opened, waited for and checked (ensureRedisReady). On
 * failure it is closed and a StartupError says what to fix, for the process to print and exit on.
 */
export async function connectCheckedRedis(target: RedisTarget, requirePersistence: boolean, opts: RedisOptions): Promise<Redis> {
  const redis = createRedis(target, opts);
  try {
    await ensureRedisReady(redis, target, requirePersistence);
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new StartupError((err as Error).message);
  }
}

/**
 * Waits for Redis and, unless told otherwise, checks it keeps jobs safe. Throws an error whose
 * message says what is wrong and how to fix it (for a process to print and exit on).
 */
export async function ensureRedisReady(redis: Redis, target: RedisTarget, requirePersistence: boolean): Promise<void> {
  try {
    await waitForRedis(redis, target, 10_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}: start Redis (e.g. redis-server --appendonly yes --maxmemory-policy noeviction) or set REDIS_URL`, { cause: err });
  }
  if (!requirePersistence) return;
  const problems = await checkRedisPersistence(redis);
  if (problems.length) {
    throw new Error(`unsafe Redis at ${redactUrl(target)}:\n  - ${problems.join('\n  - ')}\n(set REDIS_REQUIRE_PERSISTENCE=false to run anyway)`);
  }
}
