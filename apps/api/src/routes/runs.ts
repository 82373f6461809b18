import { Router } from 'express';
import { z } from 'zod';
import { isRunId } from '@modelrun/contracts';
import { notFound } from '../errors';
import type { RunsService } from '../services/runs-service';
import type { LogsService } from '../services/logs-service';
import { parseOr400 } from '../validation';

/** `?wait=N`: answer when the run ends, or after N seconds (at most 60), whichever is first. */
const GetQuery = z.strictObject({ wait: z.coerce.number().min(0).max(60).optional() });

export function runsRouter(runs: RunsService, logs: LogsService): Router {
  const router = Router();

  router.param('id', (_req, _res, next, id: string) => {
    next(isRunId(id) ? undefined : notFound(`no run with id ${JSON.stringify(id)}`));
  });

  router.get('/:id', async (req, res) => {
    const { wait } = parseOr400(GetQuery, req.query, 'query');
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
