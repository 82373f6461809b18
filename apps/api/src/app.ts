import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from '@modelrun/logger';
import type { RunIndex } from '@modelrun/store';
import { bearerAuth } from './middleware/auth';
import { errorHandler, notFoundHandler } from './middleware/errors';
import { rateLimiter } from './middleware/rate-limit';
import { requestLog } from './middleware/request-log';
import { type ReadyReport, healthRouter } from './routes/health';
import { modelsRouter } from './routes/models';
import { openApiRouter } from './routes/openapi';
import { runsRouter } from './routes/runs';
import type { LogsService } from './services/logs-service';
import type { RunsService } from './services/runs-service';

export interface AppDeps {
  log: Logger;
  runs: RunsService;
  logs: LogsService;
  index: RunIndex;
  /** Bearer tokens; empty means open (the config allows that only on a loopback HOST). */
  apiTokens: readonly string[];
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  readiness: () => Promise<ReadyReport>;
  /** Prometheus exposition, served at /metrics. */
  metrics?: { contentType: string; render: () => Promise<string>; observeHttp: (route: string, method: string, status: number, seconds: number) => void };
  /** Bull Board, mounted at /admin/queues behind the tokens. */
  adminRouter?: Router;
}

/** The Express app, without listening: main.ts listens, tests hand it to supertest. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('json spaces', 0);
  app.use(requestLog(deps.log, deps.metrics?.observeHttp));
  app.use(helmet({ contentSecurityPolicy: { useDefaults: true, directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'", 'https:'] } } }));

  // Open: liveness, readiness and metrics carry no run data and must answer orchestrators.
  app.use(healthRouter(deps.readiness));
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.render());
    });
  }

  const auth = bearerAuth(deps.apiTokens);
  const limit = rateLimiter(deps.rateLimitPerMinute);
  app.use('/v1', auth, limit);
  app.use('/v1/openapi.json', openApiRouter());
  app.use('/v1/models', modelsRouter(deps.runs, deps.index, deps.bodyLimitBytes));
  app.use('/v1/runs', runsRouter(deps.runs, deps.logs));
  if (deps.adminRouter) app.use('/admin/queues', auth, limit, deps.adminRouter);

  app.use(notFoundHandler());
  app.use(errorHandler(deps.log));
  return app;
}
