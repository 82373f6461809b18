import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors';

declare module 'express-serve-static-core' {
  interface Request {
    /** Who is calling: a token's fingerprint, or the address when no tokens are configured. */
    principal?: string;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Bearer-token authentication. Tokens are compared as SHA-256 digests with timingSafeEqual,
 * against every configured token, so the time taken says nothing about which one (if any)
 * was close. With no tokens configured (the API then binds only to loopback) all pass.
 */
export function bearerAuth(tokens: readonly string[]): RequestHandler {
  const digests = tokens.map(digest);
  return (req, _res, next) => {
    if (digests.length === 0) {
      req.principal = `addr:${req.ip ?? 'unknown'}`;
      return next();
    }
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const challenge = { 'WWW-Authenticate': 'Bearer realm="modelrun"' };
    if (!match) {
      return next(new HttpError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>', challenge));
    }
    const given = digest(match[1]!);
    let found = -1;
    digests.forEach((d, i) => {
      if (timingSafeEqual(d, given) && found < 0) found = i;
    });
    if (found < 0) return next(new HttpError('unauthorized', 'invalid bearer token', { ...challenge, 'WWW-Authenticate': 'Bearer realm="modelrun", error="invalid_token"' }));
    // A fingerprint, not the token: it keys rate limits and idempotency, and may be logged.
    req.principal = `token:${given.subarray(0, 8).toString('hex')}`;
    return next();
  };
}
