import { type Request, type Response, Router } from 'express';
import { SessionRequest, type SessionView } from '@modelrun/contracts';
import { HttpError, badRequest } from '../errors';
import { CSRF_HEADER, SESSION_COOKIE, sameSecret, sessionIdOf, tokenChecker } from '../middleware/auth';
import { jsonBody } from '../middleware/json-body';
import type { SessionStore } from '../services/sessions';
import { parseOr400 } from '../validation';

/**
 * `/v1/session`: a browser trades an API token for a session cookie (HttpOnly, so scripts
 * cannot read it; SameSite=Strict, so other sites cannot send it; Secure behind TLS), asks
 * whether it is signed in, and signs out. Open: it is how a browser gets in.
 */
export function sessionRouter(tokens: readonly string[], sessions: SessionStore, bodyLimitBytes: number): Router {
  const router = Router();
  const checkToken = tokenChecker(tokens);
  const authRequired = tokens.length > 0;

  const current = async (req: Request) => {
    const id = sessionIdOf(req);
    const session = id !== undefined ? await sessions.get(id) : undefined;
    return id && session && checkToken.stillValid(session.principal) ? { id, session } : undefined;
  };

  router.get('/', async (req, res) => {
    const found = authRequired ? await current(req) : undefined;
    res.set('Cache-Control', 'no-store');
    res.json(view(authRequired, found?.session));
  });

  router.post('/', ...jsonBody(bodyLimitBytes), async (req, res) => {
    const { token } = parseOr400(SessionRequest, req.body);
    if (!authRequired) throw badRequest('this API has no tokens (it serves loopback only): there is nothing to sign in to');
    const principal = checkToken(token);
    if (!principal) throw new HttpError('unauthorized', 'that is not a valid API token');
    const { id, session } = await sessions.open(principal);
    req.log?.info('session opened', { principal });
    res.cookie(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'strict',
      // req.secure is true behind a TLS proxy only when TRUST_PROXY lets Express believe it.
      secure: req.secure,
      path: '/',
      maxAge: sessions.ttlSeconds * 1000,
    });
    res.set('Cache-Control', 'no-store');
    res.json(view(true, session));
  });

  router.delete('/', async (req, res) => {
    const found = authRequired ? await current(req) : undefined;
    if (found) {
      if (!sameSecret(req.get(CSRF_HEADER), found.session.csrfToken)) {
        throw new HttpError('forbidden', `signing out with the session cookie needs the session's ${CSRF_HEADER} header`);
      }
      await sessions.close(found.id);
      req.log?.info('session closed', { principal: found.session.principal });
    }
    clearCookie(res, req.secure);
    res.json(view(authRequired, undefined));
  });

  return router;
}

function view(authRequired: boolean, session: { csrfToken: string; expiresAt: string } | undefined): SessionView {
  return session ? { authRequired, signedIn: true, csrfToken: session.csrfToken, expiresAt: session.expiresAt } : { authRequired, signedIn: false };
}

function clearCookie(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: '/' });
}
