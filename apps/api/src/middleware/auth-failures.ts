import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { HttpError } from '../errors';
import type { FailureCounter } from './failure-counter';

export interface AuthFailureOptions {
  /** Refused credentials an address may present per window (AUTH_FAILURE_LIMIT, default 20); 0: off. */
  limit: number;
  /** How long a window lasts (AUTH_FAILURE_WINDOW_MINUTES, default 15 min). */
  windowMs: number;
  /** Where failures are counted (Redis, shared by replicas); default: this process. */
  counter: FailureCounter;
}

/**
 * Guessing tokens: runs before authentication, so a refused credential is counted whatever
 * refused it, and an address past the limit gets 429 for every request, a right token included
 * (else a 401 against a 429 would tell a guesser which guess was right).
 *
 * Counted: a 401 to a request that presented a credential (an Authorization header, or any
 * request to a sign-in route when `signIn`). A request with no credential (a browser before
 * sign-in, a stale session cookie) is not a guess and is not counted.
 *
 * A request with no credential is not checked either: an address past the limit still gets its
 * anonymous answers (the health check, a sign-in page), which reveal nothing about a guess.
 *
 * Failures are counted when their 401 is sent, so guesses already in flight when the limit is
 * reached still get their answer: the overshoot is at most the guesser's concurrency.
 */
export function authFailureGuard(options: AuthFailureOptions, route: { signIn?: boolean } = {}): RequestHandler[] {
  const { limit, counter } = options;
  if (limit <= 0) return [];
  const guard: RequestHandler = async (req, res, next) => {
    // A request with no credential is no guess, and its answer tells a guesser nothing: it
    // skips the look-up, a Redis round trip on every request of an API without tokens.
    const presents = route.signIn === true || req.get('authorization') !== undefined;
    if (!presents) return next();
    const key = addressKey(req);
    const seen = await counter.get(key);
    if (seen.count >= limit) {
      const retryAfter = Math.max(1, Math.ceil(seen.resetMs / 1000));
      req.log?.warn('refused credentials over the limit', { address: key, count: seen.count });
      return next(
        new HttpError(
          'rate_limited',
          `too many refused credentials from this address (${limit} in ${Math.round(options.windowMs / 60_000)} min); retry after ${retryAfter} s`,
          { 'Retry-After': String(retryAfter) },
          { retryAfterSeconds: retryAfter },
        ),
      );
    }
    res.once('finish', () => {
      if (res.statusCode === 401) void counter.add(key);
    });
    next();
  };
  return [guard];
}

/** IPv6 addresses are grouped by /56 (ipKeyGenerator), so one host cannot rotate addresses. */
function addressKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? 'unknown');
}
