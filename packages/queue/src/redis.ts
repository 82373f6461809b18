import { Redis } from 'ioredis';

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
}

export function createRedis(url: string, opts: RedisOptions): Redis {
  const reconnect = (times: number): number => Math.min(100 * 2 ** Math.min(times, 5), 2_000);
  const redis =
    opts.role === 'producer'
      ? new Redis(url, {
          enableOfflineQueue: false,
          // Requests arriving together share one round trip to Redis.
          enableAutoPipelining: true,
          maxRetriesPerRequest: 1,
          connectTimeout: 2_000,
          commandTimeout: 2_000,
          retryStrategy: reconnect,
          ...(opts.name && { connectionName: opts.name }),
        })
      : new Redis(url, {
          maxRetriesPerRequest: null,
          enableReadyCheck: true,
          retryStrategy: reconnect,
          ...(opts.name && { connectionName: opts.name }),
        });
  redis.on('error', opts.onError);
  return redis;
}

/** Resolves once the connection is ready, or rejects after `timeoutMs` saying where it tried. */
export async function waitForRedis(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis at ${redactUrl(url)} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** A Redis URL without its password, fit for a log line or an error message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
