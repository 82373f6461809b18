import { Router } from 'express';
import type { Logger } from '@modelrun/logger';

export interface Check {
  ok: boolean;
  /** What failed, for the public answer: a short code (EROFS, timeout, unreachable, ...). */
  code?: string;
  /** Why, in full: for the logs only (it can name paths, run ids and workers). */
  error?: string;
  state?: string;
}

export interface ReadyReport {
  ready: boolean;
  checks: Record<string, Check>;
}

/** What anyone may read of a check: its state and code; the error sentence stays in the logs. */
export function publicCheck(check: Check): Pick<Check, 'ok' | 'code' | 'state'> {
  return {
    ok: check.ok,
    ...(!check.ok && { code: check.code && /^[A-Za-z0-9_]{1,40}$/.test(check.code) ? check.code : 'failed' }),
    ...(check.state !== undefined && { state: check.state }),
  };
}

/**
 * `/healthz`: the process answers. `/readyz`: it can do its work (Redis and the volume). Both are
 * open (orchestrators call them without tokens), so they say which check failed and its code,
 * never the error's text: a volume's error names files and runs, a worker's fault names the
 * worker. The full text is logged when it changes, for the operator.
 */
export function healthRouter(readiness: () => Promise<ReadyReport>, log?: Logger): Router {
  const router = Router();
  let lastLogged = '{}';
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness();
    const failing = Object.fromEntries(
      Object.entries(report.checks)
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => [name, { code: c.code, error: c.error }]),
    );
    const summary = JSON.stringify(failing);
    if (summary !== lastLogged) {
      if (report.ready) log?.info('ready', { checks: failing });
      else log?.warn('not ready', { checks: failing });
      lastLogged = summary;
    }
    const checks = Object.fromEntries(Object.entries(report.checks).map(([name, c]) => [name, publicCheck(c)]));
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not ready', checks });
  });
  return router;
}
