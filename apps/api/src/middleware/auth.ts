import { createHash, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { HttpError } from '../errors';
import { type Role, type User } from '@modelrun/contracts';
import { ALL_SCOPES, type Principal } from '../authz/policy';
import { type IdentityStore, bootstrapUserId } from '../services/identities';
import type { Session, SessionStore } from '../services/sessions';
import { SSO_REF_PREFIX, ssoCredential } from '../sso/session-ref';

declare module 'express-serve-static-core' {
  interface Request {
    /**
     * A key for what is counted per caller (idempotency keys): `token:<fingerprint>` for an
     * API_TOKENS entry (as before users existed), `user:<id>` for a personal token, the address
     * when no tokens are configured.
     */
    principal?: string;
    /** Who is calling: user, role, team and the credential's scopes. Set by authenticate. */
    identity?: Identity;
    /** Set when the caller came in with the session cookie rather than a bearer token. */
    browserSession?: { id: string; session: Session };
  }
}

/** The caller as authentication found them, and how they came in. */
export interface Identity extends Principal {
  via: 'token' | 'api-token' | 'session' | 'open';
  /** The personal access token used (directly or by the session). */
  tokenId?: string;
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

/**
 * The session id from the Cookie header, if any. Parsed by `cookie`, the library Express's
 * `res.cookie` serialises with, so quoting and percent-encoding read back as they were written.
 */
export function sessionIdOf(req: Request): string | undefined {
  const header = req.get('cookie');
  return header ? parseCookies(header)[SESSION_COOKIE] || undefined : undefined;
}

/** What a credential (a bearer token, or the `principal` a session keeps) stands for. */
export interface Credential {
  /** What a session opened with it keeps: `token:<fingerprint>` (API_TOKENS) or `pat:<token id>`. */
  ref: string;
  principalKey: string;
  identity: Identity;
}

/**
 * Turns credentials into callers. API_TOKENS entries are bootstrap admins (user
 * `token-<fingerprint>`); personal access tokens resolve through the identity store on every
 * use, so a revoked or expired token, or a changed role, counts at once, for sessions too.
 */
export class Authenticator {
  private readonly checkToken: TokenChecker;

  constructor(
    readonly tokens: readonly string[],
    private readonly identities?: IdentityStore,
  ) {
    this.checkToken = tokenChecker(tokens);
  }

  /** No API_TOKENS: the API serves loopback only (the config insists), and every caller is an admin. */
  get open(): boolean {
    return this.tokens.length === 0;
  }

  async bearer(secret: string): Promise<Credential | undefined> {
    const fp = this.checkToken(secret);
    if (fp) return { ref: fp, principalKey: fp, identity: bootstrapIdentity(fp, 'api-token') };
    const found = await this.identities?.resolveSecret(secret);
    if (!found) return undefined;
    return { ref: `pat:${found.token.id}`, principalKey: `user:${found.principal.user}`, identity: { ...found.principal, via: 'token', tokenId: found.token.id } };
  }

  /** A session's credential, if it is still good (its token still configured, or not revoked nor expired). */
  async ofRef(ref: string): Promise<Credential | undefined> {
    if (ref.startsWith('token:')) return this.checkToken.stillValid(ref) ? { ref, principalKey: ref, identity: bootstrapIdentity(ref, 'session') } : undefined;
    // A session opened by single sign-on keeps its user (../sso/session-ref.ts).
    if (ref.startsWith(SSO_REF_PREFIX)) return this.identities ? ssoCredential(this.identities, ref) : undefined;
    if (!ref.startsWith('pat:') || !this.identities) return undefined;
    const found = await this.identities.resolveTokenId(ref.slice(4));
    return found ? { ref, principalKey: `user:${found.principal.user}`, identity: { ...found.principal, via: 'session', tokenId: found.token.id } } : undefined;
  }
}

function bootstrapIdentity(fp: string, via: Identity['via']): Identity {
  return { user: bootstrapUserId(fp), role: 'admin', scopes: ALL_SCOPES, via };
}

/** The users API_TOKENS stand for: admins, one per token, named after its fingerprint. */
export function bootstrapUsers(tokens: readonly string[]): Map<string, User> {
  const role: Role = 'admin';
  return new Map(
    tokens.map((t) => {
      const id = bootstrapUserId(fingerprint(digest(t)));
      return [id, { id, role, source: 'bootstrap' as const, createdAt: new Date(0).toISOString(), displayName: 'API_TOKENS entry' }];
    }),
  );
}

/**
 * Authentication for the API and the dashboard: a bearer token (API clients), or the session
 * cookie of a signed-in browser. Writes made with the cookie must also carry the session's CSRF
 * token in `X-CSRF-Token`, which another site cannot read (SameSite=Strict is the first wall).
 * With no API_TOKENS (the API then binds only to loopback) a caller without a valid personal
 * token is the local admin: a developer's machine, as before users existed.
 */
export function authenticate(auth: Authenticator, sessions?: SessionStore): RequestHandler {
  const challenge = { 'WWW-Authenticate': 'Bearer realm="modelrun"' };
  return async (req, _res, next) => {
    try {
      const header = req.get('authorization');
      const match = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (auth.open) {
        const cred = match ? await auth.bearer(match[1]!) : undefined;
        req.principal = cred?.principalKey ?? `addr:${req.ip ?? 'unknown'}`;
        req.identity = cred?.identity ?? { user: 'local', role: 'admin', scopes: ALL_SCOPES, via: 'open' };
        return next();
      }
      if (header !== undefined) {
        if (!match) return next(new HttpError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>', challenge));
        const cred = await auth.bearer(match[1]!);
        if (!cred) return next(new HttpError('unauthorized', 'invalid bearer token (unknown, revoked or expired)', { 'WWW-Authenticate': 'Bearer realm="modelrun", error="invalid_token"' }));
        req.principal = cred.principalKey;
        req.identity = cred.identity;
        return next();
      }
      const id = sessionIdOf(req);
      const session = id !== undefined && sessions ? await sessions.get(id) : undefined;
      const cred = session ? await auth.ofRef(session.principal) : undefined;
      if (!id || !session || !cred) {
        return next(new HttpError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>, or sign in at /', challenge));
      }
      if (!SAFE_METHODS.has(req.method) && !sameSecret(req.get(CSRF_HEADER), session.csrfToken)) {
        return next(new HttpError('forbidden', `a write made with the session cookie needs the session's ${CSRF_HEADER} header`));
      }
      req.principal = cred.principalKey;
      req.identity = cred.identity;
      req.browserSession = { id, session };
      return next();
    } catch (err) {
      return next(err);
    }
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
