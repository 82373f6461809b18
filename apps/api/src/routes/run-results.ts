import { pipeline } from 'node:stream/promises';
import { type Request, Router } from 'express';
import { type RunView, isRunId } from '@modelrun/contracts';
import type { ResultsStore } from '@modelrun/store';
import type { Owned } from '../authz/policy';
import { judgeThing } from '../authz/routes';
import { notFound } from '../errors';
import type { RunsService } from '../services/runs-service';

/** A run's owner for the policy: its submitter and their team; nobody for runs from before users. */
const ownerOf = (run: RunView): Owned => run.submittedBy ?? {};

/**
 * A benchmark run's results beside its score: its kept predictions and its evaluator's
 * detailed results. Only its submitter, operators and admins see them; to anyone else the run
 * is not there (404), as a run they may not see.
 */
export function runResultsRouter(runs: RunsService, results: ResultsStore): Router {
  const router = Router();

  const runFor = async (req: Request): Promise<RunView> => {
    const id = String(req.params.id);
    const run = await runs.get(id);
    const missing = `no run with id ${id}`;
    if (!run) throw notFound(missing);
    judgeThing(req.identity, 'runs.results', ownerOf(run), missing);
    return run;
  };

  router.param('id', (_req, _res, next, id: string) => {
    next(isRunId(id) ? undefined : notFound(`no run with id ${JSON.stringify(id)}`));
  });

  router.get('/:id/predictions', async (req, res) => {
    const run = await runFor(req);
    const kept = run.predictionsBytes !== undefined ? await results.openPredictions(run.name, run.id) : undefined;
    if (!kept) throw notFound(`run ${run.id} has no kept predictions`);
    res.type('application/x-tar').set('Content-Length', String(kept.length)).set('Content-Disposition', `attachment; filename="${run.name}-${run.id}.tar"`).set('Cache-Control', 'no-store');
    await pipeline(kept.stream, res).catch((err: NodeJS.ErrnoException) => {
      // A client that goes away ends the pipe early: not an error.
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    });
  });

  router.get('/:id/details', async (req, res) => {
    const run = await runFor(req);
    const details = run.hasDetails ? await results.readDetails(run.name, run.id) : undefined;
    if (!details) throw notFound(`run ${run.id} has no detailed results`);
    res.set('Cache-Control', 'no-store').json(details);
  });

  return router;
}
