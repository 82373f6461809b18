import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import { type RedisTarget, type SentinelRedis, redactRedisUrl } from '@modelrun/config';

/**
 * - `producer`: the API. Fails fast when Redis is down (no offline queue, one try per command),
 *   so a client gets a 503 in a second or two instead of a hang; reconnects in the background.
 * - `consumer`: workers and event listeners. Retries forever (`maxRetriesPerRequest: null`, as
 *   BullMQ requires for blocking commands): a Redis restart pauses a worker, it does not kill it.
 */
export type RedisRole = 'producer' | 'consumer';

export interface RedisOptions {
  role: RedisRole;
  /** Every connection must have an error listener, or ioredis errors crash the process. */
  onError: (err: Error) => void;
  /** Connection name shown by CLIENT LIST, to tell processes apart. */
  name?: string;
  /**
   * Commands issued in the same tick share one write and one read (ioredis
   * `enableAutoPipelining`); default false, and always for the producer. Never for a connection
   * BullMQ blocks on: a blocking command would hold up every command pipelined behind it.
   */
  pipelined?: boolean;
}

export function createRedis(target: RedisTarget, opts: RedisOptions): Redis {
  const reconnect = (times: number): number => Math.min(100 * 2 ** Math.min(times, 5), 2_000);
  const role: IORedisOptions =
    opts.role === 'producer'
      ? {
          enableOfflineQueue: false,
          // Requests arriving together share one round trip to Redis.
          enableAutoPipelining: true,
          maxRetriesPerRequest: 1,
          connectTimeout: 2_000,
          commandTimeout: 2_000,
          retryStrategy: reconnect,
        }
      : { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: reconnect };
  const common: IORedisOptions = { ...role, ...(opts.pipelined && { enableAutoPipelining: true }), ...(opts.name && { connectionName: opts.name }) };
  const redis = target.kind === 'standalone' ? new Redis(target.url, common) : new Redis({ ...common, ...sentinelOptions(target, opts.role, reconnect) });
  redis.on('error', opts.onError);
  return redis;
}

/**
 * ioredis asks the sentinels for the current primary on every (re)connect and checks the role
 * of the server it reached, so a failover costs one reconnect. A primary that is demoted
 * while still reachable answers writes with READONLY: that reconnects too (through the
 * sentinels). The consumer resends the command there; the producer lets it fail (a 503), since
 * the client decides whether to submit again.
 * `failoverDetector` (a subscription to every sentinel from every connection, to move at once
 * on +switch-master) is left off: a killed primary drops its connections, Sentinel cuts the
 * clients of a demoted one (some 10 s into a planned switch: docs/operations/guarantees.md), and when tried,
 * its own sentinel connections printed unhandled errors.
 */
function sentinelOptions(target: SentinelRedis, role: RedisRole, reconnect: (times: number) => number): IORedisOptions {
  return {
    sentinels: target.sentinels,
    name: target.masterName,
    db: target.db,
    ...(target.username && { username: target.username }),
    ...(target.password && { password: target.password }),
    ...(target.sentinelPassword && { sentinelPassword: target.sentinelPassword }),
    // All sentinels unreachable: keep asking, as for a lost server (never give up).
    sentinelRetryStrategy: reconnect,
    sentinelCommandTimeout: 2_000,
    reconnectOnError: (err) => (/^READONLY/.test(err.message) ? (role === 'consumer' ? 2 : 1) : false),
  };
}

/** Resolves once the connection is ready, or rejects after `timeoutMs` saying where it tried. */
export async function waitForRedis(redis: Redis, target: RedisTarget, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis at ${redactRedisUrl(target.url)} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** REDIS_URL without its passwords, fit for a log line or an error message. */
export function redactUrl(target: RedisTarget): string {
  return redactRedisUrl(target.url);
}
