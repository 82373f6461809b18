import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import supertest from 'supertest';
import { startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { BenchmarkLeaderboard, BenchmarkList, type RunView } from '@modelrun/contracts';
import { explain, modelrun } from '../helpers/cli';
import { watchContainers } from '../helpers/container-watch';
import { containersOf, volumesOf } from '../helpers/docker';
import { infra } from '../helpers/infra';
import { testLogger } from '../helpers/logger';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { fixture } from '../fixtures/images';

const TOKEN_A = 'bench-token-Pz4Wc8Lq2Rt6Yx0Nb3Kj';
const TOKEN_B = 'bench-token-Gm7Vs1Hd5Qw9Ef3Ua8Zo';

describe('benchmarks: a trusted evaluator scores the model', function () {
  // Each benchmark run is two containers; the slow fixtures take 6 s in one step.
  this.timeout(90_000);
  let stack: Stack;
  let reference: string;

  before(async function () {
    // First use builds the fixture and benchmark images and a reference volume: tens of seconds on a cold engine.
    this.timeout(120_000);
    await infra();
    await buildBenchmarkFixtures();
    reference = `modelrun-test-ref-${process.pid}`;
    await createReferenceVolume(reference);
    const file = writeBenchmarksFile(reference, [
      { name: 'toy', evaluator: 'bm-eval' },
      { name: 'toy-slow-eval', evaluator: 'bm-eval-slow' },
      { name: 'toy-crashing-eval', evaluator: 'bm-eval-crash' },
      { name: 'toy-quota', evaluator: 'bm-eval', quotas: { perDay: 2, concurrent: 1 } },
      { name: 'toy-race', evaluator: 'bm-eval', quotas: { concurrent: 1 } },
    ]);
    stack = await startStack({ workers: 1, env: { BENCHMARKS_FILE: file, API_TOKENS: `${TOKEN_A},${TOKEN_B}`, WORKER_CONCURRENCY: '3' } });
  });
  after(async () => {
    await stack?.stop();
    await removeVolume(reference);
  });

  const submit = (body: Record<string, unknown>, token = TOKEN_A) =>
    stack.http
      .post('/v1/models')
      .set({ Authorization: `Bearer ${token}` })
      .send(body);
  const submitted = async (image: string, name: string, benchmark: string, token = TOKEN_A): Promise<RunView> => {
    const res = await submit({ image: fixture(image), name, benchmark }, token);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body as RunView;
  };
  const done = (id: string): Promise<RunView> => stack.waitForRun(id, undefined, 60_000);
  const record = (name: string, id: string) => JSON.parse(readFileSync(join(stack.dataDir, 'runs', name, `${id}.json`), 'utf8'));
  const nothingLeft = () => waitFor('no container or volume left', async () => ((await containersOf(stack.prefix)).length + (await volumesOf(stack.prefix)).length === 0 ? true : undefined), 20_000);

  it("scores the honest model with the evaluator's metrics and ignores the model's own score.json", async () => {
    const watch = await watchContainers(stack.prefix);
    const run = await submitted('bm-honest', 'honest', 'toy');
    assert.equal(run.benchmark, 'toy');
    const end = await done(run.id);
    await watch.stop();
    assert.equal(end.status, 'succeeded', JSON.stringify(end));
    assert.equal(end.score, 0.75, 'the primary metric, not the 0.99 the model wrote');
    assert.deepEqual(end.metrics, { accuracy: 0.75, error_rate: 0.25 });
    assert.equal(end.benchmark, 'toy');
    assert.equal(watch.idsFor(run.id).size, 3, 'the model, the never-started helper that fills the predictions volume, the evaluator');
    const log = await stack.http.get(`/v1/runs/${run.id}/logs`).set({ Authorization: `Bearer ${TOKEN_A}` });
    assert.match(log.text, /predicted for toy/, "the run's log is the model's output");
    assert.doesNotMatch(log.text, /scored for/, "the evaluator's output is not the submitter's");
    assert.match(readFileSync(join(stack.dataDir, 'logs', 'honest', `${run.id}.evaluator.log`), 'utf8'), /scored for toy/);
    await nothingLeft();
  });

  it('gives a model that writes a perfect score and no predictions a failed run', async () => {
    const end = await done((await submitted('bm-cheat', 'cheater', 'toy')).id);
    assert.equal(end.status, 'failed');
    assert.equal(end.reason, 'bad_output');
    assert.equal(end.error, 'benchmark toy: the evaluator rejected the predictions: no predictions.txt in /input/predictions', "with the evaluator's message.txt");
    assert.equal(end.score, undefined);
  });

  it('mounts no reference data in the model: one that looks finds nothing and scores its guess', async () => {
    const run = await submitted('bm-peek', 'peeker', 'toy');
    const end = await done(run.id);
    assert.equal(end.status, 'succeeded', JSON.stringify(end));
    assert.equal(end.score, 0.25, 'the all-zero guess, not a copy of the labels');
    const log = await stack.http.get(`/v1/runs/${run.id}/logs`).set({ Authorization: `Bearer ${TOKEN_A}` });
    assert.match(log.text, /no reference here/);
  });

  it('refuses predictions that are a symbolic link (to the reference data)', async () => {
    const end = await done((await submitted('bm-symlink', 'linker', 'toy')).id);
    assert.equal(end.status, 'failed');
    assert.equal(end.reason, 'bad_output');
    assert.match(end.error!, /predictions\.txt is a symbolic link/);
  });

  it('fails a run whose evaluator crashes with evaluator_failed, telling the operator why and the submitter only that', async () => {
    const run = await submitted('bm-honest', 'victim', 'toy-crashing-eval');
    const end = await done(run.id);
    assert.equal(end.status, 'failed');
    assert.equal(end.reason, 'evaluator_failed');
    assert.match(end.error!, /the evaluator could not score this run \(exit_code\)/);
    assert.ok(!JSON.stringify(end).includes('reference says'), 'the evaluator output never reaches the API');
    assert.equal((end as Record<string, unknown>).evaluatorError, undefined);
    const rec = record('victim', run.id);
    assert.match(rec.evaluatorError, /the evaluator exited with code 1/);
    assert.match(readFileSync(join(stack.dataDir, 'logs', 'victim', `${run.id}.evaluator.log`), 'utf8'), /reference says: 1 3/);
  });

  it('shows the evaluating phase and cancels a run during its evaluator step', async () => {
    const run = await submitted('bm-honest', 'cancel-eval', 'toy-slow-eval');
    await waitFor(
      'the evaluating phase',
      async () => ((await stack.http.get(`/v1/runs/${run.id}`).set({ Authorization: `Bearer ${TOKEN_A}` })).body.phase === 'evaluating' ? true : undefined),
      30_000,
    );
    await waitFor('the evaluator container to run', async () => ((await containersOf(stack.prefix)).some((c) => c.Names[0]?.includes('-eval-') && c.State === 'running') ? true : undefined), 20_000);
    const cancelled = await stack.http.delete(`/v1/runs/${run.id}`).set({ Authorization: `Bearer ${TOKEN_A}` });
    assert.equal(cancelled.status, 202);
    const end = await waitFor('the cancel to be recorded', () => (existsSync(join(stack.dataDir, 'runs', 'cancel-eval', `${run.id}.json`)) ? record('cancel-eval', run.id) : undefined), 20_000);
    assert.equal(end.status, 'cancelled');
    assert.equal(end.reason, 'cancelled');
    await nothingLeft();
  });

  it('cancels a run during its model step, before any evaluator exists', async () => {
    const watch = await watchContainers(stack.prefix);
    const run = await submitted('bm-slow-model', 'cancel-model', 'toy');
    await waitFor('the model to run', async () => ((await stack.http.get(`/v1/runs/${run.id}`).set({ Authorization: `Bearer ${TOKEN_A}` })).body.phase === 'running' ? true : undefined), 20_000);
    await stack.http.delete(`/v1/runs/${run.id}`).set({ Authorization: `Bearer ${TOKEN_A}` });
    const end = await waitFor('the cancel to be recorded', () => (existsSync(join(stack.dataDir, 'runs', 'cancel-model', `${run.id}.json`)) ? record('cancel-model', run.id) : undefined), 20_000);
    await watch.stop();
    assert.equal(end.status, 'cancelled');
    assert.equal(watch.idsFor(run.id).size, 1, 'the evaluator never started');
    await nothingLeft();
  });

  it('refuses an unknown benchmark, and limits on a benchmark run, with 400s that name the field', async () => {
    const unknown = await submit({ image: fixture('bm-honest'), name: 'x', benchmark: 'nope' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /^benchmark: there is no benchmark named "nope" \(known: toy, /);
    const limited = await submit({ image: fixture('bm-honest'), name: 'x', benchmark: 'toy', limits: { timeoutSeconds: 5 } });
    assert.equal(limited.status, 400);
    assert.match(limited.body.error.message, /^limits: /);
  });

  it('holds a caller to the quotas: one at a time, two counted a day, failed runs not counted, other callers apart', async () => {
    const first = await submitted('bm-honest', 'quota', 'toy-quota');
    const busy = await submit({ image: fixture('bm-honest'), name: 'quota', benchmark: 'toy-quota' });
    assert.equal(busy.status, 429, JSON.stringify(busy.body));
    assert.equal(busy.body.error.code, 'quota_exceeded');
    assert.ok(Number(busy.headers['retry-after']) > 0);
    assert.equal(busy.body.error.retryAfterSeconds, Number(busy.headers['retry-after']));
    const other = await submitted('bm-honest', 'quota-b', 'toy-quota', TOKEN_B);
    assert.equal((await done(first.id)).status, 'succeeded');
    await done(other.id);
    // A failed run gives its place in the day back.
    const failed = await submitted('bm-cheat', 'quota', 'toy-quota');
    assert.equal((await done(failed.id)).status, 'failed');
    const second = await submitted('bm-honest', 'quota', 'toy-quota');
    assert.equal((await done(second.id)).status, 'succeeded');
    const over = await submit({ image: fixture('bm-honest'), name: 'quota', benchmark: 'toy-quota' });
    assert.equal(over.status, 429);
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(retryAfter > 23 * 3600 && retryAfter <= 24 * 3600, `Retry-After ${retryAfter} s: when the first counted submission leaves the 24 h window`);
    assert.ok(Math.abs(Date.parse(over.body.error.nextAllowedAt) - (Date.now() + retryAfter * 1000)) < 5_000);
    assert.match(over.body.error.message, /allows 2 counted submissions per caller in 24 hours/);
    // Self-scored runs are not held to any benchmark's quota.
    assert.equal((await submit({ image: fixture('score-json'), name: 'quota' })).status, 202);
  });

  it("lists the benchmarks without their evaluator or reference, and ranks each model's best run by any metric", async () => {
    const auth = { Authorization: `Bearer ${TOKEN_A}` };
    const list = BenchmarkList.parse((await stack.http.get('/v1/benchmarks').set(auth)).body);
    const toy = list.benchmarks.find((b) => b.name === 'toy');
    assert.deepEqual(
      toy?.metrics.map((m) => [m.name, m.direction]),
      [
        ['accuracy', 'higher'],
        ['error_rate', 'lower'],
      ],
    );
    assert.ok(!JSON.stringify(list).includes(reference) && !JSON.stringify(list).includes('bm-eval'), 'no reference volume or evaluator image');
    // Earlier tests scored honest (0.75), peeker (0.25); quota and quota-b ran on another benchmark.
    const board = async (query: string) => {
      const res = await stack.http.get(`/v1/benchmarks/toy/leaderboard${query}`).set(auth);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return BenchmarkLeaderboard.parse(res.body);
    };
    const byPrimary = await board('');
    assert.equal(byPrimary.sort, 'accuracy');
    assert.deepEqual(
      byPrimary.entries.map((e) => [e.rank, e.name, e.metrics.accuracy]),
      [
        [1, 'honest', 0.75],
        [2, 'peeker', 0.25],
      ],
    );
    const byError = await board('?sort=error_rate');
    assert.deepEqual(
      byError.entries.map((e) => [e.name, e.metrics.error_rate]),
      [
        ['honest', 0.25],
        ['peeker', 0.75],
      ],
      'lower is better for error_rate',
    );
    const worst = await board('?sort=error_rate&order=worst');
    assert.deepEqual(
      worst.entries.map((e) => e.name),
      ['peeker', 'honest'],
    );
    const unknownMetric = await stack.http.get('/v1/benchmarks/toy/leaderboard?sort=f1').set(auth);
    assert.equal(unknownMetric.status, 400);
    assert.match(unknownMetric.body.error.message, /^sort: benchmark toy has no metric "f1" \(its metrics: accuracy, error_rate\)/);
    assert.equal((await stack.http.get('/v1/benchmarks/nope/leaderboard').set(auth)).status, 404);
    // Benchmark runs stay off the self-scored leaderboard (their scores are the evaluator's).
    const models = (await stack.http.get('/v1/models?limit=500').set(auth)).body.models as { name: string; bestScore?: number }[];
    assert.equal(models.find((m) => m.name === 'honest')?.bestScore, undefined);
  });

  it('works from the CLI: submit --benchmark --wait, benchmarks, leaderboard --sort', async () => {
    const env = { MODELRUN_URL: stack.api.url, MODELRUN_TOKEN: TOKEN_B };
    const submitted = await modelrun(['submit', fixture('bm-honest'), '--name', 'cli-honest', '--benchmark', 'toy', '--wait'], env);
    assert.equal(submitted.status, 0, explain(submitted));
    assert.match(submitted.stdout, /succeeded/);
    const listed = await modelrun(['benchmarks'], env);
    assert.equal(listed.status, 0, explain(listed));
    assert.match(listed.stdout, /accuracy \(primary\)\s+higher/);
    assert.match(listed.stdout, /error_rate\s+lower/);
    const board = await modelrun(['leaderboard', 'toy', '--sort', 'error_rate'], env);
    assert.equal(board.status, 0, explain(board));
    const lines = board.stdout.trim().split('\n');
    assert.match(lines[0]!, /^#\s+MODEL\s+accuracy\s+error_rate \*/);
    assert.match(lines[1]!, /^1\s+(honest|cli-honest)\s+0\.75\s+0\.25/);
    assert.match(board.stdout, /peeker\s+0\.25\s+0\.75/);
    const unknown = await modelrun(['submit', fixture('bm-honest'), '--name', 'x', '--benchmark', 'nope'], env);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /there is no benchmark named "nope"/);
  });

  it("gives a caller's last place to exactly one of many submissions racing through two API replicas", async () => {
    const second = await startApi(loadApiConfig(stack.env), testLogger('api-2'));
    try {
      const apis = [stack.http, supertest(second.url)];
      const body = { image: fixture('bm-slow-model'), name: 'racer', benchmark: 'toy-race' };
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          apis[i % 2]!.post('/v1/models')
            .set({ Authorization: `Bearer ${TOKEN_B}` })
            .send(body),
        ),
      );
      const accepted = answers.filter((r) => r.status === 202);
      assert.equal(accepted.length, 1, answers.map((r) => r.status).join(','));
      assert.ok(answers.every((r) => r.status === 202 || (r.status === 429 && r.body.error.code === 'quota_exceeded')));
      await stack.http.delete(`/v1/runs/${accepted[0]!.body.id}`).set({ Authorization: `Bearer ${TOKEN_B}` });
      // The cancelled run gives its place back once the worker records it: then one more is allowed.
      await waitFor(
        'the place to be given back',
        async () => {
          const res = await apis[1]!
            .post('/v1/models')
            .set({ Authorization: `Bearer ${TOKEN_B}` })
            .send(body);
          return res.status === 202 ? res.body : undefined;
        },
        30_000,
        250,
      );
    } finally {
      await second.close('test done');
    }
  });
});
