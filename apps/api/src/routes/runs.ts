import { Router } from 'express';
import { RunGetQuery, isRunId } from '@modelrun/contracts';
import { notFound } from '../errors';
import type { RunsService } from '../services/runs-service';
import type { LogsService } from '../services/logs-service';
import { parseOr400 } from '../validation';

export function runsRouter(runs: RunsService, logs: LogsService): Router {
  const router = Router();

  router.param('id', (_req, _res, next, id: string) => {
    next(isRunId(id) ? undefined : notFound(`no run with id ${JSON.stringify(id)}`));
  });

  router.get('/:id', async (req, res) => {
    const { wait } = parseOr400(RunGetQuery, req.query, 'query');
    const run = wait ? await runs.waitForEnd(req.params.id!, wait * 1000) : await runs.get(req.params.id!);
    if (!run) throw notFound(`no run with id ${req.params.id}`);
    res.json(run);
  });

  router.delete('/:id', async (req, res) => {
    const run = await runs.cancel(req.params.id!);
    req.log?.info('run cancelled', { runId: run.id });
    res.status(202).json(run);
  });

  router.get('/:id/logs', async (req, res) => {
    const run = await runs.get(req.params.id!);
    if (!run) throw notFound(`no run with id ${req.params.id}`);
    await logs.send(run, req, res);
  });

  return router;
}
