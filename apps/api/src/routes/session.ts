import { type Request, type Response, Router } from 'express';
import { SessionRequest, type SessionView } from '@modelrun/contracts';
import { HttpError, badRequest } from '../errors';
import { type Authenticator, CSRF_HEADER, type Identity, SESSION_COOKIE, sameSecret, sessionIdOf } from '../middleware/auth';
import { jsonBody } from '../middleware/json-body';
import type { SessionStore } from '../services/sessions';
import { parseOr400 } from '../validation';

/**
 * `/v1/session`: a browser trades an API token for a session cookie (HttpOnly, so scripts
 * cannot read it; SameSite=Strict, so other sites cannot send it; Secure behind TLS), asks
 * whether it is signed in, and signs out. Open: it is how a browser gets in.
 */
export function sessionRouter(auth: Authenticator, sessions: SessionStore, bodyLimitBytes: number): Router {
  const router = Router();
  const authRequired = !auth.open;

  const current = async (req: Request) => {
    const id = sessionIdOf(req);
    const session = id !== undefined ? await sessions.get(id) : undefined;
    const cred = session ? await auth.ofRef(session.principal) : undefined;
    return id && session && cred ? { id, session, identity: cred.identity } : undefined;
  };

  router.get('/', async (req, res) => {
    const found = authRequired ? await current(req) : undefined;
    res.set('Cache-Control', 'no-store');
    res.json(view(authRequired, found?.session, found?.identity));
  });

  router.post('/', ...jsonBody(bodyLimitBytes), async (req, res) => {
    const { token } = parseOr400(SessionRequest, req.body);
    if (!authRequired) throw badRequest('this API has no tokens (it serves loopback only): there is nothing to sign in to');
    const cred = await auth.bearer(token);
    if (!cred) throw new HttpError('unauthorized', 'that is not a valid API token (unknown, revoked or expired)');
    // The session keeps the credential, not the caller: each request asks again whether it is still good.
    const { id, session } = await sessions.open(cred.ref);
    req.log?.info('session opened', { user: cred.identity.user });
    res.cookie(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'strict',
      // req.secure is true behind a TLS proxy only when TRUST_PROXY lets Express believe it.
      secure: req.secure,
      path: '/',
      maxAge: sessions.ttlSeconds * 1000,
    });
    res.set('Cache-Control', 'no-store');
    res.json(view(true, session, cred.identity));
  });

  router.delete('/', async (req, res) => {
    const found = authRequired ? await current(req) : undefined;
    if (found) {
      if (!sameSecret(req.get(CSRF_HEADER), found.session.csrfToken)) {
        throw new HttpError('forbidden', `signing out with the session cookie needs the session's ${CSRF_HEADER} header`);
      }
      await sessions.close(found.id);
      req.log?.info('session closed', { user: found.identity.user });
    }
    clearCookie(res, req.secure);
    res.json(view(authRequired, undefined));
  });

  return router;
}

function view(authRequired: boolean, session: { csrfToken: string; expiresAt: string } | undefined, who?: Identity): SessionView {
  const person = who ? { user: who.user, role: who.role, ...(who.team && { team: who.team }) } : {};
  return session ? { authRequired, signedIn: true, csrfToken: session.csrfToken, expiresAt: session.expiresAt, ...person } : { authRequired, signedIn: false };
}

function clearCookie(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: '/' });
}
