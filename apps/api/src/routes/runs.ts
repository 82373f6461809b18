import { pipeline } from 'node:stream/promises';
import { type Request, Router } from 'express';
import { RunGetQuery, RunLogsQuery, type RunView, isFinal, isRunId } from '@modelrun/contracts';
import { type Action, type Owned, decide } from '../authz/policy';
import { judgeThing } from '../authz/routes';
import { notFound } from '../errors';
import { callerKey } from '../middleware/caller';
import type { AuditLog } from '../services/audit-log';
import type { RunsService } from '../services/runs-service';
import type { LogsService } from '../services/logs-service';
import { rerunRun } from '../services/rerun';
import type { PrivateBoards } from '../services/private-boards';
import type { RunSelection } from '../services/run-selection';
import { selectionRoutes } from './run-selection';
import { parseOr400 } from '../validation';

/** A run's owner for the policy: its submitter and their team; nobody for runs from before users. */
const ownerOf = (run: RunView): Owned => run.submittedBy ?? {};

/** Issue 19: who may see a run's private scores, and the runs submitters selected for the private board. */
export interface RunBoards {
  boards: PrivateBoards;
  selection: RunSelection;
}

/** The run as the caller may see it: its private scores only if they may see its benchmark's private board (issue 19). */
async function shownTo(req: Request, run: RunView, season: RunBoards | undefined): Promise<RunView> {
  if (run.privateScore === undefined && run.privateMetrics === undefined && !season) return run;
  const { privateScore, privateMetrics, ...rest } = run;
  // Asked only of a run that has private scores: the answer may cost a Redis read (the reveal).
  const hasPrivate = privateScore !== undefined || privateMetrics !== undefined;
  const mayReadPrivate = hasPrivate && season !== undefined && run.benchmark !== undefined && (await season.boards.mayRead(req.identity, run.benchmark));
  const selected = season && (await season.selection.selected(run));
  return {
    ...rest,
    ...(mayReadPrivate && privateScore !== undefined && { privateScore }),
    ...(mayReadPrivate && privateMetrics !== undefined && { privateMetrics }),
    ...(selected !== undefined && { selected }),
    // A re-scored run's history holds its private scores too (issue 19): shown to the same callers only.
    ...(rest.scoreHistory && { scoreHistory: mayReadPrivate ? rest.scoreHistory : rest.scoreHistory.map(({ privateScore: _s, privateMetrics: _m, ...entry }) => entry) }),
  };
}

export function runsRouter(runs: RunsService, logs: LogsService, audit?: AuditLog, season?: RunBoards): Router {
  const router = Router();

  /** The run, if the caller may do `action` to it; a run they may not see is a 404 like a missing one. */
  const runFor = async (req: Request, action: 'runs.read' | 'runs.cancel' | 'runs.logs' | 'runs.rerun' | 'runs.select'): Promise<RunView> => {
    const id = String(req.params.id);
    const run = await runs.get(id);
    const missing = `no run with id ${id}`;
    if (!run) throw notFound(missing);
    judgeThing(req.identity, action, ownerOf(run), missing);
    return run;
  };

  router.param('id', (_req, _res, next, id: string) => {
    next(isRunId(id) ? undefined : notFound(`no run with id ${JSON.stringify(id)}`));
  });

  router.get('/:id', async (req, res) => {
    const { wait } = parseOr400(RunGetQuery, req.query, 'query');
    const seen = await runFor(req, 'runs.read');
    const run = wait && !isFinal(seen.status) ? await runs.waitForEnd(req.params.id!, wait * 1000) : seen;
    if (!run) throw notFound(`no run with id ${req.params.id}`);
    const may = (action: Action) => decide(req.identity!, action, ownerOf(run)).kind === 'allow';
    const shown = await shownTo(req, run, season);
    res.json({
      ...shown,
      may: {
        cancel: may('runs.cancel'),
        readLogs: may('runs.logs'),
        rerun: may('runs.rerun'),
        ...(shown.selected !== undefined && { select: may('runs.select') }),
        ...(shown.benchmark !== undefined && { rescore: may('runs.rescore') }),
      },
    });
  });

  router.delete('/:id', async (req, res) => {
    const owner = ownerOf(await runFor(req, 'runs.cancel'));
    const run = await runs.cancel(req.params.id!);
    req.log?.info('run cancelled', { runId: run.id });
    const who = req.identity!;
    // Someone's run cancelled by another (a teammate, an operator) is audited.
    if (audit && owner.user !== who.user) {
      await audit.record({ actor: who.user, action: 'run.cancelled', target: `run:${run.id}`, ...(req.ip && { address: req.ip }), details: { submitter: owner.user ?? '(unknown)', model: run.name } });
    }
    res.status(202).json(run);
  });

  router.post('/:id/rerun', async (req, res) => {
    const original = await runFor(req, 'runs.rerun');
    const who = req.identity!;
    const run = await rerunRun(runs, original, who.user, req.principal ?? 'anonymous');
    req.log?.info('run re-run', { runId: run.id, rerunOf: original.id });
    // Someone else's run re-run (always, for now: only operators and admins may) is audited.
    if (audit && original.submittedBy?.user !== who.user) {
      await audit.record({
        actor: who.user,
        action: 'run.rerun',
        target: `run:${original.id}`,
        ...(req.ip && { address: req.ip }),
        details: { submitter: original.submittedBy?.user ?? '(unknown)', model: original.name, rerun: run.id },
      });
    }
    res.status(202).json(run);
  });

  if (season)
    selectionRoutes(
      router,
      season.selection,
      (req) => runFor(req, 'runs.select'),
      (req, run) => shownTo(req, run, season),
    );

  router.get('/:id/logs', async (req, res) => {
    const { follow } = parseOr400(RunLogsQuery, req.query, 'query');
    const run = await runFor(req, 'runs.logs');
    const output = await logs.read(run, { follow: follow === 'true' || follow === '1', caller: callerKey(req) });
    res.type('text/plain; charset=utf-8').set('X-Run-Status', run.status).set('Cache-Control', 'no-store');
    if (output.length !== undefined) res.set('Content-Length', String(output.length));
    // A follower sees the headers at once, before the run writes anything more.
    res.flushHeaders();
    // A client that goes away ends the pipe early and destroys the stream: not an error.
    await pipeline(output.stream, res).catch((err: NodeJS.ErrnoException) => {
      // Nor is a follower closed because it stopped reading (the service's FollowerStalled).
      if (err.code === 'ERR_FOLLOWER_STALLED') return void req.log?.info('closed a log follower that stopped reading', { runId: run.id });
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    });
  });

  return router;
}
