import { createHash, timingSafeEqual } from 'node:crypto';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { HttpError } from '../errors';
import type { Session, SessionStore } from '../services/sessions';

declare module 'express-serve-static-core' {
  interface Request {
    /** Who is calling: a token's fingerprint, or the address when no tokens are configured. */
    principal?: string;
    /** Set when the caller came in with the session cookie rather than a bearer token. */
    browserSession?: { id: string; session: Session };
  }
}

/** The session cookie's name; its value is a random id, the session itself lives in Redis. */
export const SESSION_COOKIE = 'modelrun_session';
/** The header a write made with the session cookie must carry (the session's CSRF token). */
export const CSRF_HEADER = 'x-csrf-token';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Recognises API tokens. They are compared as SHA-256 digests with timingSafeEqual, against
 * every configured token, so the time taken says nothing about which one (if any) was close.
 * @returns a principal (`token:` and a fingerprint, never the token), or undefined.
 */
export function tokenChecker(tokens: readonly string[]): TokenChecker {
  const digests = tokens.map(digest);
  const principals = new Set(digests.map(fingerprint));
  const check = (token: string): string | undefined => {
    const given = digest(token);
    let found = false;
    for (const d of digests) found = timingSafeEqual(d, given) || found;
    return found ? fingerprint(given) : undefined;
  };
  // A session keeps working only while its token is still configured: dropping a token ends it.
  return Object.assign(check, { stillValid: (principal: string) => principals.has(principal) });
}

export interface TokenChecker {
  (token: string): string | undefined;
  /** Whether a principal's token is still configured. */
  stillValid(principal: string): boolean;
}

function fingerprint(d: Buffer): string {
  return `token:${d.subarray(0, 8).toString('hex')}`;
}

/** The session id from the Cookie header, if any. */
export function sessionIdOf(req: Request): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Authentication for the API and the dashboard: a bearer token (API clients), or the session
 * cookie of a signed-in browser. Writes made with the cookie must also carry the session's CSRF
 * token in `X-CSRF-Token`, which another site cannot read (SameSite=Strict is the first wall).
 * With no tokens configured (the API then binds only to loopback) all pass.
 */
export function authenticate(tokens: readonly string[], sessions?: SessionStore): RequestHandler {
  const checkToken = tokenChecker(tokens);
  const challenge = { 'WWW-Authenticate': 'Bearer realm="modelrun"' };
  return async (req, _res, next) => {
    if (tokens.length === 0) {
      req.principal = `addr:${req.ip ?? 'unknown'}`;
      return next();
    }
    const header = req.get('authorization');
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) return next(new HttpError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>', challenge));
      const principal = checkToken(match[1]!);
      if (!principal) return next(new HttpError('unauthorized', 'invalid bearer token', { 'WWW-Authenticate': 'Bearer realm="modelrun", error="invalid_token"' }));
      req.principal = principal;
      return next();
    }
    const id = sessionIdOf(req);
    const session = id !== undefined && sessions ? await sessions.get(id) : undefined;
    if (!id || !session || !checkToken.stillValid(session.principal)) {
      return next(new HttpError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>, or sign in at /', challenge));
    }
    if (!SAFE_METHODS.has(req.method) && !sameSecret(req.get(CSRF_HEADER), session.csrfToken)) {
      return next(new HttpError('forbidden', `a write made with the session cookie needs the session's ${CSRF_HEADER} header`));
    }
    req.principal = session.principal;
    req.browserSession = { id, session };
    return next();
  };
}

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = digest(given);
  return timingSafeEqual(a, digest(expected));
}

/**
 * A browser that opens a page behind the tokens (the dashboard) without a session is sent to
 * the web app's sign-in, which brings it back; API clients still get their 401.
 */
export function signInFirst(): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const browser = req.method === 'GET' && req.accepts(['json', 'html']) === 'html';
    if (err instanceof HttpError && err.code === 'unauthorized' && browser) {
      return res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
    }
    return next(err);
  };
}
