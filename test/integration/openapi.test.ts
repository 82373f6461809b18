import assert from 'node:assert/strict';
import type { Test } from 'supertest';
import { WEB_PAGES } from '../../apps/api/src/routes/web';
import { type Doc, ResponseChecker, expressRoutes } from '../helpers/openapi';
import { type Stack, startStack } from '../helpers/stack';
import { fixture } from '../fixtures/images';

const TOKEN = 'tok-openapi-Rw5Tn9Kc2Xb7Lm4Qz8Pv';

/** Express routes that are not the API: Bull Board's own, the web app's files, and single sign-on's browser redirects. */
const NOT_API = /^(GET|POST|PUT|DELETE|PATCH) (\/admin\/queues|\/docs$|\/assets|\/auth\/oidc\/)/;
/** The web app's pages, as the route walk writes them (`/models/{name}`). */
const PAGES = new Set(WEB_PAGES.map((p) => `GET ${p.replace(/:(\w+)/g, '{$1}')}`));
const notApi = (route: string): boolean => NOT_API.test(route) || PAGES.has(route);

describe('the OpenAPI document', function () {
  // Two real runs (one scored, one cancelled) on the real engine: well under a minute.
  this.timeout(60_000);
  let stack: Stack;
  let doc: Doc;
  let checker: ResponseChecker;

  before(async () => {
    stack = await startStack({ env: { API_TOKENS: TOKEN, ALLOWED_IMAGES: 'modelrun-test/**' } });
    doc = (await stack.http.get('/v1/openapi.json').set(stack.auth).expect(200)).body as Doc;
    checker = new ResponseChecker(doc);
  });
  after(async () => {
    await stack?.stop();
  });

  /** Sends a request, checks its response against the document, returns it. */
  async function call(method: 'get' | 'post' | 'patch' | 'delete', url: string, prepare: (t: Test) => Test = (t) => t) {
    const res = await prepare(stack.http[method](url));
    checker.check(method, url, res);
    return res;
  }

  it('describes every route Express serves', () => {
    const described = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const routes = expressRoutes(stack.api.app);
    assert.ok(routes.includes('POST /v1/models') && routes.includes('GET /v1/runs/{id}'), `the route walk found too little: ${routes.join(', ')}`);
    const missing = routes.filter((r) => !notApi(r) && !described.has(r));
    assert.deepEqual(missing, [], 'routes missing from /v1/openapi.json');
    const stale = [...described].filter((d) => !routes.includes(d));
    assert.deepEqual(stale, [], 'operations in the document that Express does not serve');
  });

  it('matches what the API really answers, for every operation', async () => {
    const auth = (t: Test) => t.set(stack.auth);
    const submitted = await call('post', '/v1/models', (t) => auth(t).send({ image: fixture('score-json'), name: 'described', limits: { timeoutSeconds: 30 } }));
    assert.equal(submitted.status, 202);
    const id = submitted.body.id as string;
    const done = await call('get', `/v1/runs/${id}?wait=30`, auth);
    assert.equal(done.body.status, 'succeeded', JSON.stringify(done.body));
    assert.equal((await call('get', '/v1/models?sort=score&limit=5', auth)).status, 200);
    assert.equal((await call('get', '/v1/models/described', auth)).body.runs.length, 1);
    assert.match((await call('get', `/v1/runs/${id}/logs`, auth)).text, /training on described/);
    assert.equal((await call('delete', `/v1/runs/${id}`, auth)).status, 409);
    // A self-scored run has no kept predictions nor details (benchmark-results.test.ts checks a benchmark run's 200s).
    assert.equal((await call('get', `/v1/runs/${id}/predictions`, auth)).status, 404);
    assert.equal((await call('get', `/v1/runs/${id}/details`, auth)).status, 404);
    // A re-run of the finished run (an admin here); a live one cannot be, and an unknown one is a 404.
    assert.equal((await call('post', `/v1/runs/${id}/rerun`, auth)).status, 202);
    assert.equal((await call('post', '/v1/runs/00000000-0000-7000-8000-000000000000/rerun', auth)).status, 404);

    const slow = await call('post', '/v1/models', (t) => auth(t).send({ image: fixture('slow'), name: 'described' }));
    await stack.waitForRun(slow.body.id, ['running']);
    assert.equal((await call('post', `/v1/runs/${slow.body.id}/rerun`, auth)).status, 409);
    assert.equal((await call('get', `/v1/runs/${slow.body.id}`, auth)).body.status, 'running');
    assert.equal((await call('delete', `/v1/runs/${slow.body.id}`, auth)).body.status, 'cancelled');

    // The errors, each in its documented shape.
    assert.equal((await call('post', '/v1/models', (t) => auth(t).send({ image: 'x', name: 'Bad Name' }))).status, 400);
    assert.equal((await call('post', '/v1/models', (t) => auth(t).send({ image: 'elsewhere/model', name: 'x' }))).status, 403);
    assert.equal((await call('post', '/v1/models', (t) => auth(t).send({ image: 'modelrun-test/x', name: 'x', pad: 'y'.repeat(20_000) }))).status, 413);
    const key = (t: Test) => auth(t).set('Idempotency-Key', 'openapi-1');
    assert.equal((await call('post', '/v1/models', (t) => key(t).send({ image: fixture('score-json'), name: 'keyed' }))).status, 202);
    assert.equal((await call('post', '/v1/models', (t) => key(t).send({ image: fixture('score-json'), name: 'keyed-other' }))).status, 409);
    assert.equal((await call('get', '/v1/models?limit=0', auth)).status, 400);
    assert.equal((await call('get', '/v1/models/nobody', auth)).status, 404);
    assert.equal((await call('get', '/v1/runs/00000000-0000-7000-8000-000000000000', auth)).status, 404);
    assert.equal((await call('get', '/v1/runs/00000000-0000-7000-8000-000000000000?wait=zz', auth)).status, 400);
    assert.equal((await call('get', '/v1/runs/00000000-0000-7000-8000-000000000000/logs', auth)).status, 404);
    assert.equal((await call('delete', '/v1/runs/00000000-0000-7000-8000-000000000000', auth)).status, 404);
    assert.equal((await call('get', '/v1/models')).status, 401);
    // This stack has no BENCHMARKS_FILE: no benchmarks (benchmarks.test.ts covers them with one).
    // No benchmarks, and the limits a submission may ask for (the submit form shows them).
    assert.deepEqual((await call('get', '/v1/benchmarks', auth)).body.benchmarks, []);
    assert.equal((await call('get', '/v1/benchmarks/digits', auth)).status, 404);
    assert.equal((await call('get', '/v1/benchmarks/digits/leaderboard?sort=accuracy', auth)).status, 404);
    // Issue 19's private boards: nothing to reveal, and a self-scored run is not selectable (benchmark-private-board.test.ts has the rest).
    assert.equal((await call('post', '/v1/benchmarks/digits/reveal', auth)).status, 404);
    assert.equal((await call('post', `/v1/runs/${id}/selection`, auth)).status, 409);
    assert.equal((await call('delete', `/v1/runs/${id}/selection`, auth)).status, 409);
    // Issue 19's re-scoring: a self-scored run is not re-scored, and there is no benchmark nor re-score here (rescore.test.ts has the rest).
    assert.equal((await call('post', `/v1/runs/${id}/rescore`, auth)).status, 409);
    assert.equal((await call('post', '/v1/benchmarks/digits/rescore', (t) => auth(t).send({}))).status, 404);
    assert.equal((await call('get', '/v1/rescores/00000000-0000-7000-8000-000000000000', auth)).status, 404);

    // Sessions: sign in, look, sign out.
    assert.equal((await call('post', '/v1/session', (t) => t.send({ token: 'not-a-token' }))).status, 401);
    assert.equal((await call('post', '/v1/session', (t) => t.send({}))).status, 400);
    const signedIn = await call('post', '/v1/session', (t) => t.send({ token: TOKEN }));
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
    assert.equal((await call('get', '/v1/session', (t) => t.set('Cookie', cookie))).body.signedIn, true);
    assert.equal((await call('delete', '/v1/session', (t) => t.set('Cookie', cookie))).status, 403);
    assert.equal((await call('delete', '/v1/session', (t) => t.set('Cookie', cookie).set('X-CSRF-Token', signedIn.body.csrfToken))).body.signedIn, false);
    // No OIDC_ISSUER here: no single sign-on to offer (sso.test.ts has one).
    assert.deepEqual((await call('get', '/v1/session/providers')).body, { providers: [] });

    assert.equal((await call('get', '/v1/openapi.json', auth)).status, 200);
    assert.equal((await call('get', '/healthz')).status, 200);
    assert.equal((await call('get', '/readyz')).status, 200);
    assert.equal((await call('get', '/metrics')).status, 200);

    // People: a team, a user in it, a token for them, and the audit of it all.
    assert.equal((await call('get', '/v1/whoami', auth)).body.role, 'admin');
    assert.equal((await call('post', '/v1/teams', (t) => auth(t).send({ id: 'described' }))).status, 201);
    assert.equal((await call('get', '/v1/teams', auth)).status, 200);
    assert.equal((await call('post', '/v1/users', (t) => auth(t).send({ id: 'dee', role: 'member', team: 'described' }))).status, 201);
    assert.equal((await call('get', '/v1/users', auth)).status, 200);
    assert.equal((await call('get', '/v1/users/dee', auth)).status, 200);
    assert.equal((await call('patch', '/v1/users/dee', (t) => auth(t).send({ role: 'viewer', team: null }))).status, 200);
    const token = await call('post', '/v1/tokens', (t) => auth(t).send({ user: 'dee', name: 'described', scopes: ['read'] }));
    assert.equal(token.status, 201);
    assert.equal((await call('get', '/v1/tokens?user=dee', auth)).body.tokens.length, 1);
    assert.equal((await call('delete', `/v1/tokens/${token.body.id}`, auth)).status, 200);
    assert.equal((await call('delete', '/v1/users/dee', auth)).status, 200);
    assert.equal((await call('delete', '/v1/teams/described', auth)).status, 200);
    assert.equal((await call('get', '/v1/audit', auth)).status, 200);

    // The fleet: this stack's host, drained and resumed; a queue paused and resumed.
    const hosts = (await call('get', '/v1/hosts', auth)).body.hosts as { id: string }[];
    assert.equal(hosts.length, 1, JSON.stringify(hosts));
    const host = encodeURIComponent(hosts[0]!.id);
    assert.equal((await call('get', `/v1/hosts/${host}`, auth)).status, 200);
    assert.equal((await call('get', '/v1/hosts/no-such-host', auth)).status, 404);
    assert.equal((await call('post', `/v1/hosts/${host}/drain`, auth)).status, 200);
    assert.equal((await call('post', `/v1/hosts/${host}/resume`, auth)).status, 200);
    assert.ok(((await call('get', '/v1/queues', auth)).body.queues as { name: string }[]).some((q) => q.name === 'runs'));
    assert.equal((await call('post', '/v1/queues/runs/pause', auth)).status, 200);
    assert.equal((await call('post', '/v1/queues/runs/resume', auth)).status, 200);

    // Every operation was called at least once.
    const called = new Set([...checker.seen].map((s) => s.split(' ').slice(0, 2).join(' ')));
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(
      operations.filter((o) => !called.has(o)),
      [],
      'operations never exercised',
    );
  });

  it('is generated from the contracts: the run schema lists every field of a run record', () => {
    const schemas = (doc as unknown as { components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> } }).components.schemas;
    const run = schemas.Run!;
    for (const field of ['id', 'status', 'phase', 'reason', 'error', 'score', 'metrics', 'limits', 'attempts', 'attemptErrors', 'finishedAt']) assert.ok(field in run.properties, field);
    assert.ok(!('version' in run.properties) && !('logBytes' in run.properties), 'storage fields stay out of the API');
    assert.deepEqual(run.required.sort(), ['createdAt', 'id', 'image', 'limits', 'name', 'status']);
  });
});
