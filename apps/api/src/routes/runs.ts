import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { RunGetQuery, RunLogsQuery, isRunId } from '@modelrun/contracts';
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
    const { follow } = parseOr400(RunLogsQuery, req.query, 'query');
    const run = await runs.get(req.params.id!);
    if (!run) throw notFound(`no run with id ${req.params.id}`);
    const output = await logs.read(run, { follow: follow === 'true' || follow === '1' });
    res.type('text/plain; charset=utf-8').set('X-Run-Status', run.status).set('Cache-Control', 'no-store');
    if (output.length !== undefined) res.set('Content-Length', String(output.length));
    // A follower sees the headers at once, before the run writes anything more.
    res.flushHeaders();
    // A client that goes away ends the pipe early and destroys the stream: not an error.
    await pipeline(output.stream, res).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    });
  });

  return router;
}
