import express, { Router } from 'express';
import { RescoreRequest, isRunId } from '@modelrun/contracts';
import { notFound } from '../errors';
import type { AuditLog } from '../services/audit-log';
import type { RescoreService } from '../services/rescores';
import type { RunsService } from '../services/runs-service';
import { parseOr400 } from '../validation';

/**
 * Re-scoring (issue 19), mounted under /v1: one run (POST /runs/{id}/rescore), a benchmark's or
 * a phase's scored runs (POST /benchmarks/{name}/rescore), and a re-score's progress
 * (GET /rescores/{id}). Operators and admins only (the route's rule); each start is audited.
 */
export function rescoresRouter(rescores: RescoreService, runs: RunsService, audit?: AuditLog): Router {
  const router = Router();

  router.post('/runs/:id/rescore', async (req, res) => {
    const id = req.params.id!;
    const run = isRunId(id) ? await runs.get(id) : undefined;
    if (!run) throw notFound(`no run with id ${JSON.stringify(id)}`);
    const who = req.identity!;
    const progress = await rescores.rescoreRun(run, who.user);
    req.log?.info('run re-score', { runId: run.id, rescoreId: progress.id });
    await audit?.record({
      actor: who.user,
      action: 'run.rescore',
      target: `run:${run.id}`,
      ...(req.ip && { address: req.ip }),
      details: { submitter: run.submittedBy?.user ?? '(unknown)', model: run.name, rescore: progress.id },
    });
    res.status(202).json(progress);
  });

  router.post('/benchmarks/:name/rescore', express.json({ limit: 16_384, type: 'application/json' }), async (req, res) => {
    const { phase } = parseOr400(RescoreRequest, req.body ?? {}, 'body');
    const who = req.identity!;
    const progress = await rescores.rescoreBenchmark(req.params.name!, phase, who.user);
    req.log?.info('benchmark re-score', { benchmark: progress.benchmark, phase, rescoreId: progress.id, total: progress.total });
    await audit?.record({
      actor: who.user,
      action: 'benchmark.rescore',
      target: `benchmark:${progress.benchmark}`,
      ...(req.ip && { address: req.ip }),
      details: { rescore: progress.id, runs: String(progress.total), ...(phase && { phase }) },
    });
    res.status(202).json(progress);
  });

  router.get('/rescores/:id', async (req, res) => {
    res.json(await rescores.get(req.params.id!));
  });

  return router;
}
