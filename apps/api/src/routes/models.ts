import { Router } from 'express';
import { z } from 'zod';
import { ModelName, SubmitRunRequest } from '@modelrun/contracts';
import { MODEL_SORTS, type RunIndex } from '@modelrun/store';
import { badRequest, notFound } from '../errors';
import { jsonBody } from '../middleware/json-body';
import type { RunsService } from '../services/runs-service';
import { parseOr400 } from '../validation';

const ListQuery = z.strictObject({
  sort: z.enum(MODEL_SORTS).default('score'),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const RunsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** Distinct leaderboard pages kept serialized (sort, order, limit, offset). */
const PAGE_CACHE_ENTRIES = 256;

export function modelsRouter(runs: RunsService, index: RunIndex, bodyLimitBytes: number): Router {
  const router = Router();

  router.post('/', ...jsonBody(bodyLimitBytes), async (req, res) => {
    const body = parseOr400(SubmitRunRequest, req.body);
    const key = req.get('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw badRequest('Idempotency-Key must be 1-255 printable ASCII characters');
    const { run, replayed } = await runs.submit(body, req.principal ?? 'anonymous', key);
    req.log?.info(replayed ? 'run submission replayed' : 'run submitted', { runId: run.id, model: run.name, image: run.image });
    res.status(202).location(`/v1/runs/${run.id}`);
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.json(run);
  });

  // The same page is asked for far more often than the index changes: keep each page's JSON
  // until the index moves on.
  const pages = new Map<string, { version: number; body: string }>();
  router.get('/', (req, res) => {
    const q = parseOr400(ListQuery, req.query, 'query');
    const order = q.order ?? (q.sort === 'name' ? 'asc' : 'desc');
    const key = `${q.sort}/${order}/${q.limit}/${q.offset}`;
    let page = pages.get(key);
    if (page?.version !== index.version) {
      const { total, models } = index.listModels({ sort: q.sort, order, limit: q.limit, offset: q.offset });
      page = { version: index.version, body: JSON.stringify({ models, total, sort: q.sort, order, limit: q.limit, offset: q.offset }) };
      if (pages.size >= PAGE_CACHE_ENTRIES) pages.clear();
      pages.set(key, page);
    }
    res.type('json').send(page.body);
  });

  router.get('/:name', (req, res) => {
    const name = ModelName.safeParse(req.params.name);
    const q = parseOr400(RunsQuery, req.query, 'query');
    const model = name.success ? index.getModel(name.data, { offset: q.offset, limit: q.limit }) : undefined;
    if (!model) throw notFound(`no model named ${JSON.stringify(req.params.name)}`);
    res.json({ ...model, limit: q.limit, offset: q.offset });
  });

  return router;
}
