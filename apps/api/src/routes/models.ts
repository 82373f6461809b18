import { Router } from 'express';
import { IdempotencyKey, ModelListQuery, ModelName, ModelRunsQuery, SubmitRunRequest } from '@modelrun/contracts';
import type { RunIndex } from '@modelrun/leaderboard';
import { ATTR, SpanKind, fromHeaders, inSpan } from '@modelrun/telemetry';
import { HttpError, badRequest, notFound } from '../errors';
import { decide } from '../authz/policy';
import { jsonBody } from '../middleware/json-body';
import type { RunsService } from '../services/runs-service';
import { parseOr400 } from '../validation';

/** Distinct leaderboard pages kept serialized (sort, order, limit, offset). */
const PAGE_CACHE_ENTRIES = 256;

export function modelsRouter(runs: RunsService, index: RunIndex, bodyLimitBytes: number): Router {
  const router = Router();

  router.post('/', ...jsonBody(bodyLimitBytes), async (req, res) => {
    const body = parseOr400(SubmitRunRequest, req.body);
    // A priority puts the run before other people's: only those who run the fleet may set one.
    if (body.priority !== undefined && req.identity) {
      const may = decide(req.identity, 'runs.prioritize');
      if (may.kind !== 'allow')
        throw new HttpError(
          'forbidden',
          `priority: only operators and admins may set a run's priority; leave it out to queue at the default level (${may.kind === 'deny' ? may.reason : 'not allowed'})`,
        );
    }
    const key = req.get('idempotency-key');
    if (key !== undefined && !IdempotencyKey.safeParse(key).success) throw badRequest('Idempotency-Key must be 1-255 printable ASCII characters');
    const who = req.identity;
    const submitter = who && { user: who.user, ...(who.team && { team: who.team }) };
    // A run's trace starts here (or continues the caller's traceparent); queue.add's span, and
    // through the job the worker's, are its children.
    const { run, replayed } = await inSpan(
      'run.submit',
      { [ATTR.model]: body.name, [ATTR.image]: body.image },
      async (span) => {
        const submitted = await runs.submit(body, req.principal ?? 'anonymous', key, submitter);
        span.setAttributes({ [ATTR.runId]: submitted.run.id, [ATTR.outcome]: submitted.replayed ? 'replayed' : 'queued' });
        return submitted;
      },
      { kind: SpanKind.SERVER, parent: fromHeaders(req.headers) },
    );
    req.log?.info(replayed ? 'run submission replayed' : 'run submitted', { runId: run.id, model: run.name, image: run.image });
    // Written directly rather than through res.json: Express would hash the body for an ETag,
    // which nothing revalidates on a 202. The run id is a UUID, safe in a header as it is.
    res.statusCode = 202;
    res.setHeader('Location', `/v1/runs/${run.id}`);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(run));
  });

  // The same page is asked for far more often than the index changes: keep each page's JSON
  // until the index moves on.
  const pages = new Map<string, { version: number; body: string }>();
  router.get('/', (req, res) => {
    const q = parseOr400(ModelListQuery, req.query, 'query');
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
    const q = parseOr400(ModelRunsQuery, req.query, 'query');
    const model = name.success ? index.getModel(name.data, { offset: q.offset, limit: q.limit }) : undefined;
    if (!model) throw notFound(`no model named ${JSON.stringify(req.params.name)}`);
    res.json({ ...model, limit: q.limit, offset: q.offset });
  });

  return router;
}
