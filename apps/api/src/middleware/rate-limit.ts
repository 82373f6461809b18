import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { HttpError } from '../errors';

/**
 * Requests per minute per caller (token fingerprint, else address), counted in this process:
 * with several API replicas each allows this many. 0 turns it off: no middleware at all, so
 * requests do not pass through a layer that does nothing.
 */
export function rateLimiter(perMinute: number): RequestHandler[] {
  if (perMinute <= 0) return [];
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // IPv6 addresses are grouped by /56 (ipKeyGenerator), so one host cannot rotate addresses.
    keyGenerator: (req) => (req.principal?.startsWith('token:') ? req.principal : `addr:${ipKeyGenerator(req.ip ?? '')}`),
    handler: (_req, res, next, options) => {
      // express-rate-limit has set Retry-After to the seconds left in the caller's window.
      const retryAfter = String(res.getHeader('Retry-After') ?? Math.ceil(options.windowMs / 1000));
      next(new HttpError('rate_limited', `too many requests: the limit is ${perMinute} a minute; retry after ${retryAfter} s`, { 'Retry-After': retryAfter }));
    },
  });
  return [limiter];
}
