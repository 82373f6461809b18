import { Router } from 'express';
import { BenchmarkLeaderboardQuery } from '@modelrun/contracts';
import { notFound } from '../errors';
import type { BenchmarksService } from '../services/benchmarks-service';
import { parseOr400 } from '../validation';

/** The benchmarks and their leaderboards (`GET /v1/benchmarks`, `/{name}`, `/{name}/leaderboard`). */
export function benchmarksRouter(benchmarks: BenchmarksService): Router {
  const router = Router();
  const unknown = (name: string | undefined) => notFound(`no benchmark named ${JSON.stringify(name)}`);

  router.get('/', (_req, res) => {
    res.json({
      benchmarks: benchmarks.list(),
      ...(benchmarks.policy && { limits: benchmarks.policy }),
      ...(benchmarks.allowedLabels.length > 0 && { allowedLabels: benchmarks.allowedLabels }),
    });
  });

  router.get('/:name', (req, res) => {
    const view = benchmarks.get(req.params.name!);
    if (!view) throw unknown(req.params.name);
    res.json(view);
  });

  router.get('/:name/leaderboard', (req, res) => {
    const q = parseOr400(BenchmarkLeaderboardQuery, req.query, 'query');
    const body = benchmarks.leaderboardJson(req.params.name!, q);
    if (body === undefined) throw unknown(req.params.name);
    res.type('json').send(body);
  });

  return router;
}
