import { Router } from 'express';

export interface ReadyReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string; state?: string }>;
}

/** `/healthz`: the process answers. `/readyz`: it can do its work (Redis and the volume). */
export function healthRouter(readiness: () => Promise<ReadyReport>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  });
  return router;
}
