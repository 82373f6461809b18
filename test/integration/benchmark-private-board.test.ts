import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import type { Test } from 'supertest';
import { startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { BenchmarkLeaderboard, type RunView } from '@modelrun/contracts';
import { explain, modelrun } from '../helpers/cli';
import { infra } from '../helpers/infra';
import { testLogger } from '../helpers/logger';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { createReferenceVolume, removeVolume } from '../fixtures/benchmark';
import { buildPrivateFixtures, writePrivateBenchmarksFile } from '../fixtures/benchmark-private';
import { fixture } from '../fixtures/images';

const ADMIN_TOKEN = randomBytes(24).toString('hex');

describe('benchmarks: public and private boards, the board rule and selection (issue 19)', function () {
  // Seven benchmark runs of two tiny containers each, three at a time.
  this.timeout(60_000);
  let stack: Stack;
  let reference: string;
  const tokens: Record<string, string> = {};
  const as = (user: string) => (t: Test) => t.set('Authorization', `Bearer ${user === 'admin' ? ADMIN_TOKEN : tokens[user]}`);
  /** Runs by name: `<benchmark>/<image>`. */
  const runs: Record<string, RunView> = {};

  before(async function () {
    // First use builds the fixture images: tens of seconds on a cold engine.
    this.timeout(120_000);
    await infra();
    await buildPrivateFixtures();
    reference = `modelrun-test-ref-pb-${process.pid}`;
    await createReferenceVolume(reference);
    const file = writePrivateBenchmarksFile(reference, [
      { name: 'pb-best' },
      { name: 'pb-last', board: { rule: 'last' } },
      { name: 'pb-sel', board: { rule: 'selected', selectLimit: 1 } },
      { name: 'pb-due', revealAt: '2026-01-01T00:00:00Z' },
    ]);
    stack = await startStack({ workers: 1, env: { BENCHMARKS_FILE: file, API_TOKENS: ADMIN_TOKEN, ALLOWED_IMAGES: 'modelrun-test/**', WORKER_CONCURRENCY: '3' } });
    const admin = as('admin');
    for (const team of ['red', 'blue']) assert.equal((await admin(stack.http.post('/v1/teams')).send({ id: team })).status, 201);
    for (const [id, role, team] of [
      ['olga', 'operator'],
      ['alice', 'member', 'red'],
      ['carol', 'member', 'blue'],
    ] as const) {
      assert.equal((await admin(stack.http.post('/v1/users')).send({ id, role, ...(team && { team }) })).status, 201);
      tokens[id] = (await admin(stack.http.post('/v1/tokens')).send({ user: id, name: 'test' })).body.token as string;
    }
    // alice submits every run; on each benchmark the lucky run (public 0.9, private 0.5) comes
    // first, then the steady one (0.8 public, 0.8 private).
    const submit = async (benchmark: string, image: string, name = 'm') => {
      const res = await as('alice')(stack.http.post('/v1/models')).send({ image: fixture(image), name, benchmark });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      runs[`${benchmark}/${image}`] = res.body as RunView;
    };
    for (const benchmark of ['pb-best', 'pb-last', 'pb-sel']) {
      await submit(benchmark, 'pb-lucky');
      await submit(benchmark, 'pb-steady');
    }
    await submit('pb-best', 'pb-other', 'n');
    for (const run of Object.values(runs)) {
      const view = await stack.waitForRun(run.id, undefined, 45_000);
      // The whole view when it did not succeed: its reason and message say why (CI once saw one `failed`).
      assert.equal(view.status, 'succeeded', JSON.stringify(view));
    }
  });
  after(async () => {
    await stack?.stop();
    if (reference) await removeVolume(reference);
  });

  const board = async (user: string, benchmark: string, which: 'public' | 'private' = 'public') => as(user)(stack.http.get(`/v1/benchmarks/${benchmark}/leaderboard?board=${which}`));
  /** Each row's model, run and primary metric. */
  const rows = (res: { status: number; body: unknown }) => {
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return BenchmarkLeaderboard.parse(res.body).entries.map((e) => [e.name, e.bestRun.id, e.metrics.accuracy]);
  };
  const id = (key: string) => runs[key]!.id;

  it('keeps the private scores on the record and shows them only to who may see the private board', async () => {
    const mine = await as('alice')(stack.http.get(`/v1/runs/${id('pb-best/pb-lucky')}`));
    assert.equal(mine.body.score, 0.9);
    assert.equal(mine.body.privateScore, undefined, 'the submitter does not see the private score before the reveal');
    assert.equal(mine.body.privateMetrics, undefined);
    const olga = await as('olga')(stack.http.get(`/v1/runs/${id('pb-best/pb-lucky')}`));
    assert.equal(olga.body.privateScore, 0.5);
    assert.deepEqual(olga.body.privateMetrics, { accuracy: 0.5, error_rate: 0.5 });
    for (const path of ['/v1/models/m', '/v1/models', '/v1/benchmarks/pb-best/leaderboard']) {
      const res = await as('olga')(stack.http.get(path));
      assert.doesNotMatch(JSON.stringify(res.body), /private(Score|Metrics)/, path);
    }
  });

  it('refuses the private board to a member before the reveal (403 private_board_hidden) and shows it to an operator', async () => {
    const hidden = await board('alice', 'pb-best', 'private');
    assert.equal(hidden.status, 403);
    assert.equal(hidden.body.error.code, 'private_board_hidden');
    // best: the public board ranks m's lucky run; the private board shows that same run by its private score.
    assert.deepEqual(rows(await board('alice', 'pb-best')), [
      ['m', id('pb-best/pb-lucky'), 0.9],
      ['n', id('pb-best/pb-other'), 0.85],
    ]);
    assert.deepEqual(rows(await board('olga', 'pb-best', 'private')), [
      ['n', id('pb-best/pb-other'), 0.7],
      ['m', id('pb-best/pb-lucky'), 0.5],
    ]);
  });

  it('reveals the board when an admin says so (audited), to every replica, and at revealAt', async () => {
    const listed = await as('alice')(stack.http.get('/v1/benchmarks'));
    const privateBoard = (name: string) => (listed.body.benchmarks as { name: string; privateBoard?: { revealed: boolean } }[]).find((b) => b.name === name)?.privateBoard;
    assert.deepEqual(privateBoard('pb-best'), { revealed: false });
    assert.equal(privateBoard('pb-due')?.revealed, true, 'revealAt has passed');
    assert.equal((await board('alice', 'pb-due', 'private')).status, 200);

    assert.equal((await as('olga')(stack.http.post('/v1/benchmarks/pb-best/reveal'))).status, 403, 'operators see it, only admins reveal it');
    const revealed = await as('admin')(stack.http.post('/v1/benchmarks/pb-best/reveal'));
    assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
    assert.equal(revealed.body.privateBoard.revealed, true);
    assert.equal(rows(await board('alice', 'pb-best', 'private')).length, 2);
    assert.equal((await as('alice')(stack.http.get(`/v1/runs/${id('pb-best/pb-lucky')}`))).body.privateScore, 0.5);
    const audit = await as('admin')(stack.http.get('/v1/audit?limit=50'));
    const entry = (audit.body.entries as { action: string; actor: string; target: string }[]).find((e) => e.action === 'benchmark.reveal');
    const me = (await as('admin')(stack.http.get('/v1/whoami'))).body.user as string;
    assert.deepEqual(entry && { actor: entry.actor, target: entry.target }, { actor: me, target: 'benchmark:pb-best' });
    // Another API (a replica, or this one restarted) reads the reveal from Redis.
    const other = await startApi(loadApiConfig(stack.env), testLogger('api-2'));
    try {
      // Its index is read from the volume's records: their private scores come with them.
      const res = await waitFor('the second API has read the records', async () => {
        const r = await as('alice')(supertest(other.url).get('/v1/benchmarks/pb-best/leaderboard?board=private'));
        return r.status !== 200 || r.body.total === 2 ? r : undefined;
      });
      assert.deepEqual(rows(res), [
        ['n', id('pb-best/pb-other'), 0.7],
        ['m', id('pb-best/pb-lucky'), 0.5],
      ]);
    } finally {
      await other.close();
    }
  });

  it("last: each model's latest run, on both boards", async () => {
    assert.deepEqual(rows(await board('olga', 'pb-last')), [['m', id('pb-last/pb-steady'), 0.8]]);
    assert.deepEqual(rows(await board('olga', 'pb-last', 'private')), [['m', id('pb-last/pb-steady'), 0.8]]);
  });

  it('selected: the best public run until the submitter selects one, up to the limit (409 naming it and the selected run), by its owner only', async () => {
    assert.deepEqual(rows(await board('olga', 'pb-sel')), [['m', id('pb-sel/pb-lucky'), 0.9]], 'the public board ranks the best');
    assert.deepEqual(rows(await board('olga', 'pb-sel', 'private')), [['m', id('pb-sel/pb-lucky'), 0.5]], 'none selected: the best public run');
    assert.equal((await as('alice')(stack.http.get(`/v1/runs/${id('pb-sel/pb-steady')}`))).body.selected, false);

    assert.equal((await as('carol')(stack.http.post(`/v1/runs/${id('pb-sel/pb-steady')}/selection`))).status, 404, "another team's member cannot see the run");
    const operator = await as('olga')(stack.http.post(`/v1/runs/${id('pb-sel/pb-steady')}/selection`));
    assert.equal(operator.status, 403, 'an operator sees the run but does not choose for its submitter');
    assert.match(operator.body.error.message, /only for its owner's team \(alice\)/);
    assert.equal((await as('alice')(stack.http.post(`/v1/runs/${id('pb-best/pb-steady')}/selection`))).status, 409, 'pb-best ranks the best run: nothing to select');

    const selected = await as('alice')(stack.http.post(`/v1/runs/${id('pb-sel/pb-steady')}/selection`));
    assert.equal(selected.status, 200, JSON.stringify(selected.body));
    assert.equal(selected.body.selected, true);
    assert.deepEqual(rows(await board('olga', 'pb-sel', 'private')), [['m', id('pb-sel/pb-steady'), 0.8]]);

    const over = await as('alice')(stack.http.post(`/v1/runs/${id('pb-sel/pb-lucky')}/selection`));
    assert.equal(over.status, 409);
    assert.equal(over.body.error.code, 'selection_limit');
    assert.equal(over.body.error.selectLimit, 1);
    assert.deepEqual(over.body.error.selectedRuns, [id('pb-sel/pb-steady')]);
    assert.match(over.body.error.message, new RegExp(`1 run selected.*${id('pb-sel/pb-steady')}`));
  });

  it('selects and unselects from the CLI', async () => {
    const env = { MODELRUN_URL: stack.api.url, MODELRUN_TOKEN: tokens.alice! };
    const removed = await modelrun(['select', '--remove', id('pb-sel/pb-steady')], env);
    assert.equal(removed.status, 0, explain(removed));
    assert.match(removed.stdout, /is not selected/);
    const chosen = await modelrun(['select', id('pb-sel/pb-lucky')], env);
    assert.equal(chosen.status, 0, explain(chosen));
    assert.match(chosen.stdout, /is selected for benchmark pb-sel/);
    assert.deepEqual(rows(await board('olga', 'pb-sel', 'private')), [['m', id('pb-sel/pb-lucky'), 0.5]]);
    const over = await modelrun(['select', id('pb-sel/pb-steady')], env);
    assert.equal(over.status, 3, explain(over));
    assert.match(over.stderr, /already has 1 run selected/);
  });

  it("gives a model's last place to exactly one of two selections racing through two API replicas", async () => {
    assert.equal((await as('alice')(stack.http.delete(`/v1/runs/${id('pb-sel/pb-lucky')}/selection`))).status, 200);
    const other = await startApi(loadApiConfig(stack.env), testLogger('api-2'));
    try {
      const answers = await Promise.all([
        as('alice')(stack.http.post(`/v1/runs/${id('pb-sel/pb-lucky')}/selection`)),
        as('alice')(supertest(other.url).post(`/v1/runs/${id('pb-sel/pb-steady')}/selection`)),
      ]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], JSON.stringify(answers.map((a) => a.body)));
      const won = answers.find((a) => a.status === 200)!.body as RunView;
      assert.deepEqual(rows(await board('olga', 'pb-sel', 'private'))[0]?.[1], won.id);
    } finally {
      await other.close();
    }
  });
});
