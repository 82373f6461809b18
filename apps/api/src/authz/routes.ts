import type { RequestHandler } from 'express';
import { HttpError, notFound } from '../errors';
// The Request.identity augmentation.
import type {} from '../middleware/auth';
import { type Action, type Owned, type Principal, decide } from './policy';

/**
 * Every route of the API and what it asks to do: `open` routes need no caller (sign-in,
 * probes, metrics, the web app's files); every other route is judged by ./policy.ts before its
 * handler runs. A route missing here is unreachable (404), and the authorization test fails.
 */
export const ROUTE_ACTIONS = {
  'POST /v1/models': 'runs.submit',
  'GET /v1/models': 'models.read',
  'GET /v1/models/{name}': 'models.read',
  'GET /v1/runs/{id}': 'runs.read',
  'DELETE /v1/runs/{id}': 'runs.cancel',
  'GET /v1/runs/{id}/logs': 'runs.logs',
  'POST /v1/runs/{id}/rerun': 'runs.rerun',
  'GET /v1/benchmarks': 'benchmarks.read',
  'GET /v1/benchmarks/{name}': 'benchmarks.read',
  'GET /v1/benchmarks/{name}/leaderboard': 'benchmarks.read',
  'GET /v1/openapi.json': 'docs.read',
  'GET /v1/whoami': 'whoami',
  'GET /v1/users': 'users.read',
  'POST /v1/users': 'users.manage',
  'GET /v1/users/{id}': 'users.read',
  'PATCH /v1/users/{id}': 'users.manage',
  'DELETE /v1/users/{id}': 'users.manage',
  'GET /v1/teams': 'teams.read',
  'POST /v1/teams': 'teams.manage',
  'DELETE /v1/teams/{id}': 'teams.manage',
  'GET /v1/tokens': 'tokens.read',
  'POST /v1/tokens': 'tokens.manage',
  'DELETE /v1/tokens/{id}': 'tokens.manage',
  'GET /v1/audit': 'audit.read',
  'GET /v1/session': 'open',
  'POST /v1/session': 'open',
  'DELETE /v1/session': 'open',
  'GET /v1/hosts': 'fleet.read',
  'GET /v1/hosts/{id}': 'fleet.read',
  'POST /v1/hosts/{id}/drain': 'fleet.manage',
  'POST /v1/hosts/{id}/resume': 'fleet.manage',
  'GET /v1/queues': 'fleet.read',
  'POST /v1/queues/{name}/pause': 'fleet.manage',
  'POST /v1/queues/{name}/resume': 'fleet.manage',
  'GET /healthz': 'open',
  'GET /readyz': 'open',
  'GET /metrics': 'open',
  'GET /v1/session/providers': 'open',
  'GET /auth/oidc/login': 'open',
  'GET /auth/oidc/callback': 'open',
  'POST /v1/benchmarks/{name}/reveal': 'benchmarks.reveal',
  'POST /v1/runs/{id}/selection': 'runs.select',
  'DELETE /v1/runs/{id}/selection': 'runs.select',
  'GET /v1/runs/{id}/predictions': 'runs.results',
  'GET /v1/runs/{id}/details': 'runs.results',
  'POST /v1/runs/{id}/rescore': 'runs.rescore',
  'POST /v1/benchmarks/{name}/rescore': 'runs.rescore',
  'GET /v1/rescores/{id}': 'runs.rescore',
} as const satisfies Record<string, Action | 'open'>;

/** Bull Board's own routes (a mounted app): all of them are this one action. */
export const QUEUES_ACTION: Action = 'queues.view';

interface Compiled {
  method: string;
  pattern: RegExp;
  action: Action | 'open';
}

const COMPILED: Compiled[] = Object.entries(ROUTE_ACTIONS).map(([key, action]) => {
  const [method, path] = key.split(' ') as [string, string];
  const pattern = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}/?$`);
  return { method, pattern, action };
});

/** The action of a request to the API, or undefined when no route matches. */
export function actionOf(method: string, path: string): Action | 'open' | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return COMPILED.find((c) => c.method === m && c.pattern.test(path))?.action;
}

/** 403 with the policy's reason, when the caller's role or scope does not allow the action. */
export function requireAction(action: Action): RequestHandler {
  return (req, _res, next) => {
    const p = req.identity;
    if (!p) return next(new HttpError('unauthorized', 'missing bearer token'));
    const v = decide(p, action);
    return next(v.kind === 'allow' ? undefined : new HttpError('forbidden', v.kind === 'deny' ? v.reason : `${action} is not allowed`));
  };
}

/**
 * Judges every /v1 request by its route's action (role and scope; ownership is judged by the
 * handler once it has read the thing). Mounted after authentication.
 */
export function authorizeRoutes(): RequestHandler {
  return (req, res, next) => {
    const action = actionOf(req.method, req.baseUrl + req.path);
    if (action === undefined) return next(notFound(`no route ${req.method} ${req.baseUrl + req.path}`));
    if (action === 'open') return next();
    return requireAction(action)(req, res, next);
  };
}

/**
 * The handler's second check, with the thing in hand: a run (or token) the caller may not see
 * is a 404 with the same words as one that does not exist; one they may see but not act on, a
 * 403 saying whose it is.
 */
export function judgeThing(p: Principal | undefined, action: Action, owner: Owned, notFoundMessage: string): void {
  if (!p) throw new HttpError('unauthorized', 'missing bearer token');
  const v = decide(p, action, owner);
  if (v.kind === 'hidden') throw notFound(notFoundMessage);
  if (v.kind === 'deny') throw new HttpError('forbidden', v.reason);
}
