import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Role } from '@modelrun/contracts';
import type { Test } from 'supertest';
import { ROUTE_ACTIONS } from '../../apps/api/src/authz/routes';
import { IdentityStore } from '../../apps/api/src/services/identities';
import { expressRoutes } from '../helpers/openapi';
import { testRedis } from '../helpers/redis-server';
import supertest from 'supertest';
import { type StartedApi, startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { testLogger } from '../helpers/logger';
import { type Stack, startStack } from '../helpers/stack';
import { fixture } from '../fixtures/images';
import { writeBenchmarksFile } from '../fixtures/benchmark';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
const NO_RUN = '00000000-0000-7000-8000-000000000000';

/** Express routes that are not the API: Bull Board's own, and the web app's pages and files. */
const NOT_API = /^(GET|POST|PUT|DELETE|PATCH) (\/admin\/queues|\/docs$|\/assets|\/(signin|submit|models\/\{name\}|runs\/\{id\}|benchmarks|benchmarks\/\{name\}|tokens|admin\/[a-z]+)?$)/;

type Route = keyof typeof ROUTE_ACTIONS;
type Sample = { url: string; body?: object };

/**
 * One request per route that passes validation only as far as the role check matters: an
 * allowed caller gets 200, 201, 204, 400 or 404 (a thing that does not exist), a refused one 403.
 * A route added to the API without a sample here fails the first test.
 */
const SAMPLES: Record<Exclude<Route, `${string} /v1/session` | 'GET /healthz' | 'GET /readyz' | 'GET /metrics' | 'GET /v1/session/providers' | `GET /auth/oidc/${string}`>, Sample> = {
  'POST /v1/models': { url: '/v1/models', body: {} },
  'GET /v1/models': { url: '/v1/models' },
  'GET /v1/models/{name}': { url: '/v1/models/nobody' },
  'GET /v1/runs/{id}': { url: `/v1/runs/${NO_RUN}` },
  'DELETE /v1/runs/{id}': { url: `/v1/runs/${NO_RUN}` },
  'GET /v1/runs/{id}/logs': { url: `/v1/runs/${NO_RUN}/logs` },
  'POST /v1/runs/{id}/rerun': { url: `/v1/runs/${NO_RUN}/rerun` },
  'GET /v1/benchmarks': { url: '/v1/benchmarks' },
  'GET /v1/benchmarks/{name}': { url: '/v1/benchmarks/none' },
  'GET /v1/benchmarks/{name}/leaderboard': { url: '/v1/benchmarks/none/leaderboard' },
  'GET /v1/openapi.json': { url: '/v1/openapi.json' },
  'GET /v1/whoami': { url: '/v1/whoami' },
  'GET /v1/users': { url: '/v1/users' },
  'POST /v1/users': { url: '/v1/users', body: {} },
  'GET /v1/users/{id}': { url: '/v1/users/nobody' },
  'PATCH /v1/users/{id}': { url: '/v1/users/nobody', body: {} },
  'DELETE /v1/users/{id}': { url: '/v1/users/nobody' },
  'GET /v1/teams': { url: '/v1/teams' },
  'POST /v1/teams': { url: '/v1/teams', body: {} },
  'DELETE /v1/teams/{id}': { url: '/v1/teams/nobody' },
  'GET /v1/tokens': { url: '/v1/tokens' },
  'POST /v1/tokens': { url: '/v1/tokens', body: {} },
  'DELETE /v1/tokens/{id}': { url: '/v1/tokens/nothing' },
  'GET /v1/audit': { url: '/v1/audit' },
  'GET /v1/hosts': { url: '/v1/hosts' },
  'GET /v1/hosts/{id}': { url: '/v1/hosts/no-such-host' },
  'POST /v1/hosts/{id}/drain': { url: '/v1/hosts/no-such-host/drain' },
  'POST /v1/hosts/{id}/resume': { url: '/v1/hosts/no-such-host/resume' },
  'GET /v1/queues': { url: '/v1/queues' },
  'POST /v1/queues/{name}/pause': { url: '/v1/queues/no-such-queue/pause' },
  'POST /v1/queues/{name}/resume': { url: '/v1/queues/no-such-queue/resume' },
  'POST /v1/benchmarks/{name}/reveal': { url: '/v1/benchmarks/none/reveal' },
  'POST /v1/runs/{id}/selection': { url: `/v1/runs/${NO_RUN}/selection` },
  'DELETE /v1/runs/{id}/selection': { url: `/v1/runs/${NO_RUN}/selection` },
  'GET /v1/runs/{id}/predictions': { url: `/v1/runs/${NO_RUN}/predictions` },
  'GET /v1/runs/{id}/details': { url: `/v1/runs/${NO_RUN}/details` },
  'POST /v1/runs/{id}/rescore': { url: `/v1/runs/${NO_RUN}/rescore` },
  'POST /v1/benchmarks/{name}/rescore': { url: '/v1/benchmarks/nope/rescore', body: {} },
  'GET /v1/rescores/{id}': { url: `/v1/rescores/${NO_RUN}` },
};

const ROLES: Role[] = ['admin', 'operator', 'member', 'viewer'];
const A = 'allow';
const D = 'deny';

/** The role x route matrix as tested (written out, not derived from the policy). */
const MATRIX: Record<keyof typeof SAMPLES, [typeof A | typeof D, typeof A | typeof D, typeof A | typeof D, typeof A | typeof D]> = {
  //                                        admin operator member viewer
  'POST /v1/models': [A, A, A, D],
  'GET /v1/models': [A, A, A, A],
  'GET /v1/models/{name}': [A, A, A, A],
  'GET /v1/runs/{id}': [A, A, A, A],
  'DELETE /v1/runs/{id}': [A, A, A, D],
  'GET /v1/runs/{id}/logs': [A, A, A, A],
  'POST /v1/runs/{id}/rerun': [A, A, D, D],
  'GET /v1/benchmarks': [A, A, A, A],
  'GET /v1/benchmarks/{name}': [A, A, A, A],
  'GET /v1/benchmarks/{name}/leaderboard': [A, A, A, A],
  'GET /v1/openapi.json': [A, A, A, A],
  'GET /v1/whoami': [A, A, A, A],
  'GET /v1/users': [A, D, D, D],
  'POST /v1/users': [A, D, D, D],
  'GET /v1/users/{id}': [A, D, D, D],
  'PATCH /v1/users/{id}': [A, D, D, D],
  'DELETE /v1/users/{id}': [A, D, D, D],
  'GET /v1/teams': [A, D, D, D],
  'POST /v1/teams': [A, D, D, D],
  'DELETE /v1/teams/{id}': [A, D, D, D],
  'GET /v1/tokens': [A, A, A, A],
  'POST /v1/tokens': [A, A, A, A],
  'DELETE /v1/tokens/{id}': [A, A, A, A],
  'GET /v1/audit': [A, D, D, D],
  'GET /v1/hosts': [A, A, D, D],
  'GET /v1/hosts/{id}': [A, A, D, D],
  'POST /v1/hosts/{id}/drain': [A, A, D, D],
  'POST /v1/hosts/{id}/resume': [A, A, D, D],
  'GET /v1/queues': [A, A, D, D],
  'POST /v1/queues/{name}/pause': [A, A, D, D],
  'POST /v1/queues/{name}/resume': [A, A, D, D],
  'POST /v1/benchmarks/{name}/reveal': [A, D, D, D],
  'POST /v1/runs/{id}/selection': [A, A, A, D],
  'DELETE /v1/runs/{id}/selection': [A, A, A, D],
  'GET /v1/runs/{id}/predictions': [A, A, A, A],
  'GET /v1/runs/{id}/details': [A, A, A, A],
  'POST /v1/runs/{id}/rescore': [A, A, D, D],
  'POST /v1/benchmarks/{name}/rescore': [A, A, D, D],
  'GET /v1/rescores/{id}': [A, A, D, D],
};

describe('authorization: roles, ownership, tokens', function () {
  // The runs stay queued (no worker): nothing here waits for a container.
  this.timeout(30_000);
  let stack: Stack;
  const tokens: Record<string, string> = {};
  const as = (user: string) => (t: Test) => t.set('Authorization', `Bearer ${tokens[user]}`);
  const admin = (t: Test) => t.set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  before(async () => {
    const benchmarks = writeBenchmarksFile('modelrun-test-ref-unused', [
      { name: 'per-user', evaluator: 'bm-eval', quotas: { concurrent: 1 } },
      { name: 'per-team', evaluator: 'bm-eval', quotas: { concurrent: 1, per: 'team' } },
    ]);
    stack = await startStack({ workers: 0, env: { API_TOKENS: ADMIN_TOKEN, ALLOWED_IMAGES: 'modelrun-test/**', BENCHMARKS_FILE: benchmarks } });
    for (const team of ['red', 'blue']) assert.equal((await admin(stack.http.post('/v1/teams')).send({ id: team })).status, 201);
    const people: [string, Role, string?][] = [
      ['olga', 'operator'],
      ['alice', 'member', 'red'],
      ['bob', 'member', 'red'],
      ['carol', 'member', 'blue'],
      ['vic', 'viewer', 'red'],
    ];
    for (const [id, role, team] of people) {
      const made = await admin(stack.http.post('/v1/users')).send({ id, role, ...(team && { team }) });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const token = await admin(stack.http.post('/v1/tokens')).send({ user: id, name: 'test' });
      assert.equal(token.status, 201, JSON.stringify(token.body));
      tokens[id] = token.body.token as string;
    }
  });
  after(async () => {
    await stack?.stop();
  });

  it('has a rule and a sample request for every route Express serves, and no rule for a route that is gone', () => {
    const routes = expressRoutes(stack.api.app).filter((r) => !NOT_API.test(r));
    assert.ok(routes.includes('GET /v1/users') && routes.includes('DELETE /v1/runs/{id}'), `the route walk found too little: ${routes.join(', ')}`);
    const rules = Object.keys(ROUTE_ACTIONS);
    assert.deepEqual(
      routes.filter((r) => !rules.includes(r)),
      [],
      'routes without an authorization rule (apps/api/src/authz/routes.ts)',
    );
    assert.deepEqual(
      rules.filter((r) => !routes.includes(r)),
      [],
      'rules for routes Express does not serve',
    );
    const open = new Set(rules.filter((r) => ROUTE_ACTIONS[r as Route] === 'open'));
    assert.deepEqual(
      rules.filter((r) => !open.has(r) && !(r in SAMPLES)),
      [],
      'routes with no sample request in this test',
    );
  });

  const caller: Record<Role, string> = { admin: 'admin', operator: 'olga', member: 'carol', viewer: 'vic' };
  for (const [route, verdicts] of Object.entries(MATRIX) as [keyof typeof SAMPLES, (typeof MATRIX)[keyof typeof MATRIX]][]) {
    it(`${route}: ${ROLES.map((r, i) => `${r} ${verdicts[i] === A ? 'may' : 'may not'}`).join(', ')}`, async () => {
      const [method, path] = route.split(' ') as [string, string];
      const sample = SAMPLES[route];
      for (const [i, role] of ROLES.entries()) {
        const req = stack.http[method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](sample.url);
        const res = await (role === 'admin' ? admin(req) : as(caller[role])(req)).send(sample.body);
        if (verdicts[i] === A) assert.ok([200, 201, 204, 400, 404].includes(res.status), `${role} ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
        else {
          assert.equal(res.status, 403, `${role} ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
          assert.match(res.body.error.message, new RegExp(`needs the role .*\\(you are ${role}\\)`));
        }
      }
    });
  }

  it('Bull Board is for operators and admins only', async () => {
    assert.equal((await admin(stack.http.get('/admin/queues/api/queues'))).status, 200);
    assert.equal((await as('olga')(stack.http.get('/admin/queues/api/queues'))).status, 200);
    for (const who of ['alice', 'vic']) {
      const res = await as(who)(stack.http.get('/admin/queues/api/queues'));
      assert.equal(res.status, 403);
      assert.match(res.body.error.message, /needs the role admin or operator/);
    }
  });

  it('a run belongs to its submitter and team: others get 404, a teammate sees and cancels but reads no logs, a viewer only sees', async () => {
    const sub = await as('alice')(stack.http.post('/v1/models')).send({ image: fixture('score-json'), name: 'owned' });
    assert.equal(sub.status, 202, JSON.stringify(sub.body));
    assert.deepEqual(sub.body.submittedBy, { user: 'alice', team: 'red' });
    const id = sub.body.id as string;
    const url = `/v1/runs/${id}`;

    // Not on the team: the run does not exist, for every route, with the words of a missing run.
    for (const [method, u] of [
      ['get', url],
      ['get', `${url}/logs`],
      ['delete', url],
    ] as const) {
      const res = await as('carol')(stack.http[method](u));
      assert.equal(res.status, 404, `${method} ${u}`);
      assert.equal(res.body.error.message, `no run with id ${id}`);
    }
    assert.equal((await as('alice')(stack.http.get(url))).body.submittedBy.user, 'alice');
    assert.equal((await as('alice')(stack.http.get(`${url}/logs`))).status, 200);
    const seenByBob = await as('bob')(stack.http.get(url));
    assert.equal(seenByBob.status, 200);
    // The run says what this caller may do to it, so pages leave out the rest.
    assert.deepEqual(seenByBob.body.may, { cancel: true, readLogs: false, rerun: false });
    assert.deepEqual((await as('vic')(stack.http.get(url))).body.may, { cancel: false, readLogs: false, rerun: false });
    assert.deepEqual((await as('alice')(stack.http.get(url))).body.may, { cancel: true, readLogs: true, rerun: false });
    const bobLogs = await as('bob')(stack.http.get(`${url}/logs`));
    assert.equal(bobLogs.status, 403);
    assert.match(bobLogs.body.error.message, /only for its owner \(alice\)/);
    assert.equal((await as('vic')(stack.http.get(url))).status, 200);
    assert.equal((await as('vic')(stack.http.delete(url))).status, 403);
    assert.equal((await as('olga')(stack.http.get(`${url}/logs`))).status, 200);
    // A run's kept predictions and details are its submitter's and the operators': a teammate finds no run there.
    for (const part of ['predictions', 'details']) {
      for (const who of ['bob', 'carol', 'vic']) {
        const res = await as(who)(stack.http.get(`${url}/${part}`));
        assert.equal(res.status, 404, `${who} ${part}`);
        assert.equal(res.body.error.message, `no run with id ${id}`);
      }
      for (const who of ['alice', 'olga'])
        assert.equal((await as(who)(stack.http.get(`${url}/${part}`))).body.error.message, `run ${id} has no ${part === 'details' ? 'detailed results' : 'kept predictions'}`, `${who} ${part}`);
    }
    // The leaderboard stays public to every role.
    for (const who of ['carol', 'vic']) assert.equal((await as(who)(stack.http.get('/v1/models/owned'))).body.runs.length, 1);

    const cancelled = await as('bob')(stack.http.delete(url));
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    const audit = await admin(stack.http.get('/v1/audit?limit=50'));
    const entry = (audit.body.entries as { action: string; actor: string; target: string; address?: string; details?: Record<string, string> }[]).find((e) => e.action === 'run.cancelled');
    assert.ok(entry, JSON.stringify(audit.body));
    assert.equal(entry.actor, 'bob');
    assert.equal(entry.target, `run:${id}`);
    assert.equal(entry.details?.submitter, 'alice');
    assert.ok(entry.address);
  });

  it('a revoked token stops at once, and so do the browser sessions opened with it', async () => {
    const made = await as('alice')(stack.http.post('/v1/tokens')).send({ name: 'laptop' });
    assert.equal(made.status, 201);
    const secret = made.body.token as string;
    const signIn = await stack.http.post('/v1/session').send({ token: secret });
    assert.equal(signIn.status, 200);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    assert.equal((await stack.http.get('/v1/whoami').set('Cookie', cookie)).body.user, 'alice');
    assert.equal((await stack.http.get('/v1/whoami').set('Authorization', `Bearer ${secret}`)).body.via, 'token');

    // Bob may not see (so not revoke) alice's token; alice may.
    assert.equal((await as('bob')(stack.http.delete(`/v1/tokens/${made.body.id}`))).status, 404);
    const listed = await as('alice')(stack.http.get('/v1/tokens'));
    assert.ok((listed.body.tokens as { id: string; token?: string }[]).some((t) => t.id === made.body.id && t.token === undefined));
    assert.ok((await as('bob')(stack.http.get('/v1/tokens'))).body.tokens.every((t: { user: string }) => t.user === 'bob'));
    const revoked = await as('alice')(stack.http.delete(`/v1/tokens/${made.body.id}`));
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);

    assert.equal((await stack.http.get('/v1/whoami').set('Authorization', `Bearer ${secret}`)).status, 401);
    assert.equal((await stack.http.get('/v1/whoami').set('Cookie', cookie)).status, 401);
    assert.equal((await stack.http.get('/v1/session').set('Cookie', cookie)).body.signedIn, false);
  });

  it('an expired token is refused', async () => {
    const redis = testRedis(stack.redisUrl);
    try {
      const store = new IdentityStore(redis, stack.prefix);
      const made = await store.createToken('alice', { name: 'old', expiresAt: new Date(Date.now() - 1000).toISOString() });
      const res = await stack.http.get('/v1/whoami').set('Authorization', `Bearer ${made.token}`);
      assert.equal(res.status, 401);
      assert.match(res.body.error.message, /revoked or expired/);
    } finally {
      redis.disconnect();
    }
  });

  it('a token does only what its scopes allow, and never makes a token with more', async () => {
    const readOnly = await as('alice')(stack.http.post('/v1/tokens')).send({ name: 'ci-read', scopes: ['read'] });
    assert.equal(readOnly.status, 201);
    const ro = (t: Test) => t.set('Authorization', `Bearer ${readOnly.body.token}`);
    assert.equal((await ro(stack.http.get('/v1/models'))).status, 200);
    const submit = await ro(stack.http.post('/v1/models')).send({ image: fixture('score-json'), name: 'scoped' });
    assert.equal(submit.status, 403);
    assert.match(submit.body.error.message, /needs a token with the submit scope/);
    assert.equal((await ro(stack.http.post('/v1/tokens')).send({ name: 'more' })).status, 403);
    const adminRead = await admin(stack.http.post('/v1/tokens')).send({ name: 'admin-read', scopes: ['read', 'admin'] });
    const wider = await stack.http
      .post('/v1/tokens')
      .set('Authorization', `Bearer ${adminRead.body.token}`)
      .send({ name: 'wider', scopes: ['submit'] });
    assert.equal(wider.status, 403);
    assert.match(wider.body.error.message, /lacks submit/);
  });

  it('a demoted user loses the role at once; an admin cannot demote or delete themselves', async () => {
    assert.equal((await admin(stack.http.patch('/v1/users/olga')).send({ role: 'viewer' })).status, 200);
    assert.equal((await as('olga')(stack.http.get('/admin/queues/api/queues'))).status, 403);
    assert.equal((await admin(stack.http.patch('/v1/users/olga')).send({ role: 'operator' })).status, 200);
    assert.equal((await as('olga')(stack.http.get('/admin/queues/api/queues'))).status, 200);
    const me = (await admin(stack.http.get('/v1/whoami'))).body;
    assert.equal(me.role, 'admin');
    assert.equal(me.via, 'api-token');
    assert.match(me.user, /^token-[0-9a-f]{16}$/);
    assert.equal((await admin(stack.http.delete(`/v1/users/${me.user}`))).status, 400);
  });

  it('benchmark quotas count per user, or per team when the benchmark says so', async () => {
    const submit = (who: string, benchmark: string, name: string) => as(who)(stack.http.post('/v1/models')).send({ image: fixture('bm-honest'), name, benchmark });
    assert.equal((await submit('alice', 'per-user', 'q1')).status, 202);
    assert.equal((await submit('alice', 'per-user', 'q1')).status, 429);
    // Bob is on alice's team, but this benchmark counts per user.
    assert.equal((await submit('bob', 'per-user', 'q2')).status, 202);

    assert.equal((await submit('alice', 'per-team', 'q3')).status, 202);
    const teammate = await submit('bob', 'per-team', 'q4');
    assert.equal(teammate.status, 429, JSON.stringify(teammate.body));
    assert.equal(teammate.body.error.code, 'quota_exceeded');
    assert.equal((await submit('carol', 'per-team', 'q5')).status, 202);
  });

  it('audits who changed users, teams and tokens, from where; admins only read it', async () => {
    const res = await admin(stack.http.get('/v1/audit?limit=1000'));
    assert.equal(res.status, 200);
    const entries = res.body.entries as { action: string; actor: string; target: string; address?: string; at: string }[];
    const actions = new Set(entries.map((e) => `${e.action} ${e.target}`));
    for (const expected of ['team.created team:red', 'user.created user:alice', 'user.updated user:olga']) assert.ok(actions.has(expected), expected);
    assert.ok(entries.some((e) => e.action === 'token.created' && e.actor === 'alice'));
    assert.ok(entries.some((e) => e.action === 'token.revoked' && e.actor === 'alice'));
    assert.ok(entries.every((e) => e.address && e.at));
    // Newest first, and pages back from an entry.
    assert.ok(entries[0]!.at >= entries.at(-1)!.at);
    const page = await admin(stack.http.get(`/v1/audit?limit=2&before=${(res.body.entries[1] as { id: string }).id}`));
    assert.equal(page.body.entries[0].id, res.body.entries[2].id);
    assert.equal((await as('olga')(stack.http.get('/v1/audit'))).status, 403);
  });
});

describe('rate limits per user, shared by every API replica', function () {
  this.timeout(30_000);
  let stack: Stack;
  let second: StartedApi;
  let memberToken: string;

  before(async () => {
    stack = await startStack({ workers: 0, env: { API_TOKENS: ADMIN_TOKEN, RATE_LIMIT_PER_MINUTE: '4', RATE_LIMIT_PRIVILEGED_PER_MINUTE: '12' } });
    second = await startApi(loadApiConfig(stack.env), testLogger('api-2'));
    const admin = (t: Test) => t.set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    assert.equal((await admin(stack.http.post('/v1/users')).send({ id: 'mia', role: 'member' })).status, 201);
    memberToken = (await admin(stack.http.post('/v1/tokens')).send({ user: 'mia', name: 'limits' })).body.token as string;
  });
  after(async () => {
    await second?.close();
    await stack?.stop();
  });

  it('counts a member once across two replicas, and gives an admin the higher limit', async () => {
    const replicas = [stack.http, supertest(second.url)];
    const get = (i: number, token: string) => replicas[i % 2]!.get('/v1/whoami').set('Authorization', `Bearer ${token}`);
    for (let i = 0; i < 4; i++) assert.equal((await get(i, memberToken)).status, 200, `request ${i + 1}`);
    const over = await get(4, memberToken);
    assert.equal(over.status, 429);
    assert.match(over.body.error.message, /the limit is 4 a minute/);
    assert.ok(Number(over.headers['retry-after']) > 0);
    // The admin has made 2 requests (the user and the token); 10 more make their 12.
    for (let i = 0; i < 10; i++) assert.equal((await get(i, ADMIN_TOKEN)).status, 200, `admin request ${i + 1}`);
    assert.equal((await get(0, ADMIN_TOKEN)).status, 429);
  });
});
