import { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import { parse as parseCookies } from 'cookie';
import type { SessionProviders } from '@modelrun/contracts';
import { HttpError } from '../errors';
import { SESSION_COOKIE } from '../middleware/auth';
import { toHttpError } from '../middleware/error-mapping';
// The Request.log augmentation.
import type {} from '../middleware/request-log';
import type { SessionStore } from '../services/sessions';
import type { OidcClient } from './oidc-client';
import { ssoRef } from './session-ref';
import type { SsoSignIn } from './sign-in';
import { FLOW_TTL_SECONDS, type SsoStore } from './sso-store';

/** Single sign-on's parts, wired by server.ts when OIDC_ISSUER is set. */
export interface SsoDeps {
  client: OidcClient;
  store: SsoStore;
  signIn: SsoSignIn;
  sessions: SessionStore;
}

/** Where the SSO routes are mounted; OIDC_REDIRECT_URL must end with its /callback. */
export const SSO_BASE = '/auth/oidc';

/**
 * The cookie that ties the provider's answer to the browser that asked: the random id of the flow
 * kept in Redis. SameSite=Lax, unlike the session cookie: the provider's redirect back is a
 * navigation from another site, on which a Strict cookie would not be sent. Only for SSO_BASE.
 */
export const FLOW_COOKIE = 'modelrun_sso_flow';

/**
 * `GET /auth/oidc/login` sends the browser to the provider (authorization code with PKCE; the
 * state, nonce and verifier stay in Redis). `GET /auth/oidc/callback` takes the answer once,
 * checks it, signs the user in (made at their first sign-in, role and team from their groups),
 * opens the same session a token sign-in opens, and sends the browser on. Refusals end on a page
 * that says why (JSON for API clients), with no session. Without SSO configured both are 404.
 */
export function ssoRouter(deps: SsoDeps | undefined): Router {
  const router = Router();

  router.get('/login', async (req, res) => {
    if (!deps) throw notConfigured();
    const { flow, url } = await deps.client.begin(localPath(req.query.next));
    const id = await deps.store.startFlow(flow);
    res.cookie(FLOW_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: SSO_BASE, maxAge: FLOW_TTL_SECONDS * 1000 });
    res.set('Cache-Control', 'no-store');
    res.redirect(303, url.href);
  });

  router.get('/callback', async (req, res) => {
    if (!deps) throw notConfigured();
    const flowId = parseCookies(req.get('cookie') ?? '')[FLOW_COOKIE];
    // Used or not, the flow is over: its cookie goes.
    res.clearCookie(FLOW_COOKIE, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: SSO_BASE });
    const flow = flowId ? await deps.store.takeFlow(flowId) : undefined;
    if (!flow) {
      throw new HttpError('bad_request', `this browser has no sign-in under way: it was already used, took over ${FLOW_TTL_SECONDS / 60} minutes, or began in another browser. Sign in again`);
    }
    const query = new URL(req.originalUrl, 'http://callback.invalid').searchParams;
    const who = await deps.client.finish(query, flow);
    const { user, created } = await deps.signIn.signIn(who, req.ip);
    const { id } = await deps.sessions.open(ssoRef(user));
    req.log?.info('session opened by single sign-on', { user: user.id, role: user.role, created });
    // The cookie POST /v1/session sets, with the same attributes (see routes/session.ts).
    res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: deps.sessions.ttlSeconds * 1000 });
    res.set('Cache-Control', 'no-store');
    res.redirect(303, flow.next);
  });

  router.use(refusalPage());
  return router;
}

/** `GET /v1/session/providers`: what the sign-in page offers besides a token (open). */
export function providersRouter(deps: SsoDeps | undefined): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    const body: SessionProviders = { providers: deps ? [{ id: 'oidc', name: deps.client.providerName, signInUrl: `${SSO_BASE}/login` }] : [] };
    res.json(body);
  });
  return router;
}

function notConfigured(): HttpError {
  return new HttpError('not_found', 'single sign-on is not configured on this deployment (OIDC_ISSUER): sign in with a token');
}

/** `next` when it is a path on this site, else `/`: the sign-in must not send the browser elsewhere. */
export function localPath(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  try {
    const url = new URL(next, 'http://here.invalid');
    return url.origin === 'http://here.invalid' ? `${url.pathname}${url.search}${url.hash}` : '/';
  } catch {
    return '/';
  }
}

/**
 * A refused or failed sign-in, for a person: a small page that says why and links back to the
 * sign-in page. API clients (asking for JSON) get the API's usual error body instead.
 */
function refusalPage(): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next) => {
    const httpError = toHttpError(err);
    if (req.accepts(['json', 'html']) !== 'html' || res.headersSent) return next(err);
    if (httpError.status >= 500 && httpError.code !== 'unavailable') return next(err);
    req.log?.warn('single sign-on refused', { status: httpError.status, reason: httpError.message, cause: (err as Error)?.message });
    res.status(httpError.status).set('Cache-Control', 'no-store').type('html').send(page(httpError.message));
  };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function page(message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in refused · modelrun</title></head>
<body>
<main>
<h1>Sign-in refused</h1>
<p role="alert">${escapeHtml(message)}</p>
<p>You are not signed in. <a href="/signin">Back to sign in</a></p>
</main>
</body>
</html>
`;
}
