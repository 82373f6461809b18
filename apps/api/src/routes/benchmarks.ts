import { Router } from 'express';
import { BenchmarkLeaderboardQuery, type BenchmarkView } from '@modelrun/contracts';
import { HttpError, notFound } from '../errors';
import type { AuditLog } from '../services/audit-log';
import type { BenchmarksService } from '../services/benchmarks-service';
import type { PrivateBoards } from '../services/private-boards';
import { parseOr400 } from '../validation';

/** The benchmarks and their leaderboards (`GET /v1/benchmarks`, `/{name}`, `/{name}/leaderboard`), and the private board's reveal. */
export function benchmarksRouter(benchmarks: BenchmarksService, boards?: PrivateBoards, audit?: AuditLog): Router {
  const router = Router();
  const unknown = (name: string | undefined) => notFound(`no benchmark named ${JSON.stringify(name)}`);
  /** A benchmark's view with whether its private board is revealed (issue 19), for benchmarks that may have one. */
  const withPrivateBoard = async (view: BenchmarkView): Promise<BenchmarkView> => {
    const definition = boards?.definition(view.name);
    return definition ? { ...view, privateBoard: await boards!.visibility(definition) } : view;
  };

  router.get('/', async (_req, res) => {
    res.json({
      benchmarks: await Promise.all(benchmarks.list().map(withPrivateBoard)),
      ...(benchmarks.policy && { limits: benchmarks.policy }),
      ...(benchmarks.allowedLabels.length > 0 && { allowedLabels: benchmarks.allowedLabels }),
    });
  });

  router.get('/:name', async (req, res) => {
    const view = benchmarks.get(req.params.name!);
    if (!view) throw unknown(req.params.name);
    res.json(await withPrivateBoard(view));
  });

  router.get('/:name/leaderboard', async (req, res) => {
    const q = parseOr400(BenchmarkLeaderboardQuery, req.query, 'query');
    const definition = boards?.definition(req.params.name!);
    if (definition && boards!.ruled(definition, q)) {
      if (q.board === 'private' && !(await boards!.mayRead(req.identity, definition.name))) {
        throw new HttpError(
          'private_board_hidden',
          `benchmark ${definition.name}: the private board is for operators and admins until it is revealed${definition.privateBoard?.revealAt ? ` (at ${definition.privateBoard.revealAt})` : ''}`,
        );
      }
      const sort = benchmarks.sortOf(definition, q);
      benchmarks.checkPhase(definition, q);
      res.json(await boards!.leaderboard(definition, sort, q));
      return;
    }
    if (q.board === 'private' && !definition) throw unknown(req.params.name);
    const body = benchmarks.leaderboardJson(req.params.name!, q);
    if (body === undefined) throw unknown(req.params.name);
    res.type('json').send(body);
  });

  router.post('/:name/reveal', async (req, res) => {
    const definition = boards?.definition(req.params.name!);
    if (!definition) throw unknown(req.params.name);
    const who = req.identity!;
    const { reveal, first } = await boards!.reveal(definition, who.user);
    req.log?.info('private board revealed', { benchmark: definition.name, first });
    if (audit && first) {
      await audit.record({ actor: who.user, action: 'benchmark.reveal', target: `benchmark:${definition.name}`, ...(req.ip && { address: req.ip }), details: { at: reveal.at } });
    }
    res.json(await withPrivateBoard(benchmarks.get(definition.name)!));
  });

  return router;
}
