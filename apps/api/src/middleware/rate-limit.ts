import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { HttpError } from '../errors';

export interface RateLimitOptions {
  /** Requests per minute per member or viewer, and per address before authentication; 0: off. */
  perMinute: number;
  /** Requests per minute per operator or admin (default: perMinute). */
  privilegedPerMinute?: number | undefined;
  /** Count in this Redis, so every API replica shares one count per caller; default: in this process. */
  redis?: { redis: Redis; prefix: string } | undefined;
}

/** Whom a request counts against: its user once authenticated, else its address. */
export function rateLimitKey(req: Request): string {
  const who = req.identity;
  // With no tokens configured every caller is the local admin: count them by address still.
  if (who && who.via !== 'open') return `user:${who.user}`;
  // IPv6 addresses are grouped by /56 (ipKeyGenerator), so one host cannot rotate addresses.
  return `addr:${ipKeyGenerator(req.ip ?? '')}`;
}

/**
 * Requests per minute per user (per address before sign-in), with a higher limit for
 * operators and admins. Counted in Redis when given, so N replicas allow the limit once, not N
 * times. 0 turns it off: no middleware at all, so requests do not pass a layer that does nothing.
 */
export function rateLimiter(opts: RateLimitOptions): RequestHandler[] {
  const { perMinute } = opts;
  if (perMinute <= 0) return [];
  const privileged = opts.privilegedPerMinute ?? perMinute;
  const limitOf = (req: Request): number => (req.identity?.role === 'admin' || req.identity?.role === 'operator' ? privileged : perMinute);
  const store = opts.redis
    ? new RedisStore({
        prefix: `${opts.redis.prefix}:rl:`,
        sendCommand: (command: string, ...args: string[]) => opts.redis!.redis.call(command, ...args) as Promise<RedisReply>,
      })
    : undefined;
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: limitOf,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: rateLimitKey,
    ...(store && { store }),
    // Redis down: the request goes on (and meets the 503 of whatever it needs Redis for).
    passOnStoreError: true,
    handler: (req, res, next, options) => {
      // express-rate-limit has set Retry-After to the seconds left in the caller's window.
      const retryAfter = String(res.getHeader('Retry-After') ?? Math.ceil(options.windowMs / 1000));
      next(new HttpError('rate_limited', `too many requests: the limit is ${limitOf(req)} a minute; retry after ${retryAfter} s`, { 'Retry-After': retryAfter }));
    },
  });
  return [limiter];
}
