import express, { type Express, type Router } from 'express';
import type { Logger } from '@modelrun/logger';
import type { RunIndex } from '@modelrun/leaderboard';
import { Authenticator, authenticate, signInFirst } from './middleware/auth';
import { QUEUES_ACTION, authorizeRoutes, requireAction } from './authz/routes';
import { authFailureGuard } from './middleware/auth-failures';
import { type FailureCounter, MemoryFailureCounter } from './middleware/failure-counter';
import { loopbackHostsOnly } from './middleware/host-check';
import { errorHandler, notFoundHandler } from './middleware/errors';
import { rateLimiter } from './middleware/rate-limit';
import { requestLog } from './middleware/request-log';
import { securityHeaders } from './middleware/security-headers';
import { type ReadyReport, healthRouter } from './routes/health';
import { benchmarksRouter } from './routes/benchmarks';
import { rescoresRouter } from './routes/rescores';
import type { RescoreService } from './services/rescores';
import { modelsRouter } from './routes/models';
import { openApiRouter } from './routes/openapi';
import { type RunBoards, runsRouter } from './routes/runs';
import { mountPeople } from './routes/mount-people';
import { sessionRouter } from './routes/session';
import { webRouter } from './routes/web';
import type { LogsService } from './services/logs-service';
import type { RunsService } from './services/runs-service';
import { BenchmarksService } from './services/benchmarks-service';
import type { SessionStore } from './services/sessions';
import type { AuditLog } from './services/audit-log';
import type { IdentityStore } from './services/identities';
import { SSO_BASE, type SsoDeps, providersRouter, ssoRouter } from './sso/routes';
import type { FleetService } from './services/fleet';
import { hostsRouter } from './routes/hosts';
import { queuesRouter } from './routes/queues';
import { runResultsRouter } from './routes/run-results';
import type { ResultsStore } from '@modelrun/store';

export interface AppDeps {
  log: Logger;
  runs: RunsService;
  logs: LogsService;
  index: RunIndex;
  /** The benchmarks and their leaderboards (none without BENCHMARKS_FILE). */
  benchmarks?: BenchmarksService;
  /** Bearer tokens; empty means open (the config allows that only on a loopback HOST). */
  apiTokens: readonly string[];
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  /** Requests per minute for operators and admins (default: rateLimitPerMinute). */
  rateLimitPrivilegedPerMinute?: number;
  /** Where request counts are kept (Redis, shared by replicas); default: this process's memory. */
  rateLimitRedis?: { redis: import('ioredis').Redis; prefix: string };
  /** Users, teams and personal tokens; without them only API_TOKENS (admins) get in. */
  identities?: IdentityStore;
  /** The audit log (with identities: /v1/users, /v1/teams, /v1/tokens, /v1/audit). */
  audit?: AuditLog;
  /** Refused credentials per address before its requests get 429 (default 20 in 15 min, counted in this process). */
  authFailures?: { limit: number; windowMs: number; counter?: FailureCounter };
  readiness: () => Promise<ReadyReport>;
  /** Prometheus exposition, served at /metrics. */
  metrics?: { contentType: string; render: () => Promise<string>; observeHttp: (route: string, method: string, status: number, seconds: number) => void };
  /** Bull Board, mounted at /admin/queues behind the tokens (or a signed-in browser). */
  adminRouter?: Router;
  /** Browser sessions (sign-in at /); without them only bearer tokens get in. */
  sessions?: SessionStore;
  /** The built web app's folder (apps/web/dist); without it / says how to build it. */
  webRoot?: string;
  /** Express's `trust proxy` (default false): set behind a TLS proxy, so cookies are Secure. */
  trustProxy?: boolean | number | string[];
  /** The fleet view, drain and queue pause (/v1/hosts, /v1/queues). */
  fleet?: FleetService;
  /** Single sign-on through an OpenID Connect provider (OIDC_ISSUER); without it /auth/oidc/* answer 404. */
  sso?: SsoDeps;
  /** The private boards, their reveal and the runs submitters selected (issue 19); without them only public boards. */
  boards?: RunBoards;
  /** Benchmark runs' kept predictions and detailed results on the volume (/v1/runs/{id}/predictions, /details). */
  results?: ResultsStore;
  /** Re-scoring (issue 19): without it the re-score routes answer 404. */
  rescores?: RescoreService;
}

/** The Express app, without listening: main.ts listens, tests hand it to supertest. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.set('json spaces', 0);
  app.use(requestLog(deps.log, deps.metrics?.observeHttp));
  app.use(securityHeaders());
  // Without tokens every caller that reaches the API is trusted: only loopback may reach it.
  if (deps.apiTokens.length === 0) app.use(loopbackHostsOnly());

  // The API first: a submission passes no layer that cannot match it.
  const authenticator = new Authenticator(deps.apiTokens, deps.identities);
  const auth = authenticate(authenticator, deps.sessions);
  const limit = rateLimiter({ perMinute: deps.rateLimitPerMinute, privilegedPerMinute: deps.rateLimitPrivilegedPerMinute, redis: deps.rateLimitRedis });
  // Refused credentials are counted per address before authentication, which refuses them.
  const failures = { limit: 20, windowMs: 15 * 60_000, ...deps.authFailures };
  const failureCounting = { ...failures, counter: failures.counter ?? new MemoryFailureCounter(failures.windowMs) };
  const guard = authFailureGuard(failureCounting);
  // Single sign-on and the list of ways to sign in are open too (the provider vouches for the person), rate limited per address.
  app.use('/v1/session/providers', ...limit, providersRouter(deps.sso));
  app.use(SSO_BASE, ...limit, ssoRouter(deps.sso));
  // Sign-in is open (it is how a browser gets in), rate limited per address.
  if (deps.sessions) app.use('/v1/session', ...authFailureGuard(failureCounting, { signIn: true }), ...limit, sessionRouter(authenticator, deps.sessions, deps.bodyLimitBytes));
  // Every /v1 route is judged by its action before its handler (../authz/routes.ts).
  app.use('/v1', ...guard, auth, ...limit, authorizeRoutes());
  app.use('/v1/models', modelsRouter(deps.runs, deps.index, deps.bodyLimitBytes));
  app.use('/v1/runs', runsRouter(deps.runs, deps.logs, deps.audit, deps.boards));
  if (deps.results) app.use('/v1/runs', runResultsRouter(deps.runs, deps.results));
  mountPeople(app, deps.identities, deps.audit, deps.bodyLimitBytes);
  app.use('/v1/openapi.json', openApiRouter());
  app.use('/v1/benchmarks', benchmarksRouter(deps.benchmarks ?? new BenchmarksService(new Map(), deps.index), deps.boards?.boards, deps.audit));
  if (deps.rescores) app.use('/v1', rescoresRouter(deps.rescores, deps.runs, deps.audit));
  if (deps.fleet) {
    app.use('/v1/hosts', hostsRouter(deps.fleet, deps.audit));
    app.use('/v1/queues', queuesRouter(deps.fleet, deps.audit));
  }

  // Open: liveness, readiness and metrics carry no run data and must answer orchestrators.
  app.use(healthRouter(deps.readiness, deps.log));
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.render());
    });
  }
  if (deps.adminRouter) app.use('/admin/queues', ...guard, auth, ...limit, requireAction(QUEUES_ACTION), deps.adminRouter, signInFirst());
  app.use(webRouter(deps.webRoot));

  app.use(notFoundHandler());
  app.use(errorHandler(deps.log));
  return app;
}
