import type { Request, Router } from 'express';
import type { RunView } from '@modelrun/contracts';
import { HttpError } from '../errors';
import type { RunSelection } from '../services/run-selection';

/**
 * `POST /v1/runs/{id}/selection` and `DELETE /v1/runs/{id}/selection` (issue 19): the run's
 * submitter (their team, or an admin) selects it for, or takes it off, a `selected`-rule
 * benchmark's private board. Both answer the run as the caller sees it, with `selected`.
 */
export function selectionRoutes(router: Router, selection: RunSelection, runFor: (req: Request) => Promise<RunView>, shown: (req: Request, run: RunView) => Promise<RunView>): void {
  router.post('/:id/selection', async (req, res) => {
    const run = await runFor(req);
    const outcome = await selection.select(run);
    if (!outcome.ok) {
      throw new HttpError(
        'selection_limit',
        `model ${run.name} already has ${outcome.limit} run${outcome.limit > 1 ? 's' : ''} selected on benchmark ${run.benchmark} (its limit): ${outcome.selected.join(', ')}; unselect one first`,
        {},
        { selectLimit: outcome.limit, selectedRuns: outcome.selected },
      );
    }
    req.log?.info('run selected', { runId: run.id, benchmark: run.benchmark });
    res.json(await shown(req, run));
  });

  router.delete('/:id/selection', async (req, res) => {
    const run = await runFor(req);
    await selection.unselect(run);
    req.log?.info('run unselected', { runId: run.id, benchmark: run.benchmark });
    res.json(await shown(req, run));
  });
}
