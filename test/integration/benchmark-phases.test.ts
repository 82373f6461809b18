import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import supertest from 'supertest';
import { startApi, type StartedApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { BenchmarkLeaderboard, BenchmarkList, ErrorBody, type RunView } from '@modelrun/contracts';
import { explain, modelrun } from '../helpers/cli';
import { infra } from '../helpers/infra';
import { testLogger } from '../helpers/logger';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { type TestBenchmark, buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { fixture } from '../fixtures/images';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Phases, with time driven by the file, not by sleeping: the phases are written already past,
 * open now or still to come relative to the test's start; a second API started on a changed
 * file (the development phase closed, the final one open) stands for the time after the switch.
 */
describe('benchmark phases: submission windows, their quotas, evaluators and boards', function () {
  this.timeout(90_000);
  let stack: Stack;
  let reference: string;
  let later: StartedApi | undefined;
  // Set when this suite starts, not when the file loads: in the whole suite other files run for
  // many minutes in between, and the times left would no longer be what the file says.
  let t0 = 0;

  /**
   * `phased`: development open now (its own quotas: 2 a day), final to come (the benchmark's: 1 a
   * day). The benchmark's own evaluator crashes: a run scored at all was scored by its phase's.
   */
  const phased = (devEnd: number, finalStart: number): TestBenchmark => ({
    name: 'phased',
    evaluator: 'bm-eval-crash',
    quotas: { perDay: 1 },
    phases: [
      { name: 'development', start: iso(t0 - HOUR), end: iso(devEnd), quotas: { perDay: 2 }, evaluator: 'bm-eval' },
      { name: 'final', start: iso(finalStart), end: iso(t0 + 3 * HOUR), evaluator: 'bm-eval' },
    ],
  });

  before(async function () {
    this.timeout(120_000);
    await infra();
    await buildBenchmarkFixtures();
    t0 = Date.now();
    reference = `modelrun-test-ref-phases-${process.pid}`;
    await createReferenceVolume(reference);
    const file = writeBenchmarksFile(reference, [
      phased(t0 + HOUR, t0 + 2 * HOUR),
      { name: 'upcoming', evaluator: 'bm-eval', phases: [{ name: 'one', start: iso(t0 + 2 * HOUR), end: iso(t0 + 3 * HOUR) }] },
      { name: 'ended', evaluator: 'bm-eval', phases: [{ name: 'one', start: iso(t0 - 3 * HOUR), end: iso(t0 - 2 * HOUR) }] },
      { name: 'plain', evaluator: 'bm-eval' },
    ]);
    stack = await startStack({ workers: 1, env: { BENCHMARKS_FILE: file, WORKER_CONCURRENCY: '2' } });
  });
  after(async () => {
    await later?.close('test done');
    await stack?.stop();
    await removeVolume(reference);
  });

  const submit = (benchmark: string, name: string, http = stack.http) => http.post('/v1/models').send({ image: fixture('bm-honest'), name, benchmark });
  const record = (name: string, id: string) => JSON.parse(readFileSync(join(stack.dataDir, 'runs', name, `${id}.json`), 'utf8'));
  const board = async (http: supertest.Agent | ReturnType<typeof supertest>, phase?: string) => {
    const res = await http.get(`/v1/benchmarks/phased/leaderboard${phase ? `?phase=${phase}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return BenchmarkLeaderboard.parse(res.body).entries.map((e) => e.name);
  };

  it("takes a submission in the open phase: the run records it, is scored by the phase's evaluator, and the phase's quota holds", async () => {
    const first = await submit('phased', 'alpha');
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal((first.body as RunView).benchmarkPhase, 'development');
    const end = await stack.waitForRun(first.body.id, undefined, 60_000);
    assert.equal(end.status, 'succeeded', JSON.stringify(end));
    assert.equal(end.score, 0.75, "scored by the phase's evaluator (the benchmark's own crashes)");
    assert.equal(end.benchmarkPhase, 'development');
    assert.equal(record('alpha', first.body.id).benchmarkPhase, 'development');

    const second = await submit('phased', 'beta');
    assert.equal(second.status, 202, "the phase's own quota (2 a day), not the benchmark's (1)");
    const third = await submit('phased', 'beta');
    assert.equal(third.status, 429);
    assert.equal(third.body.error.code, 'quota_exceeded');
    assert.match(third.body.error.message, /quota: benchmark phased in phase development allows 2 counted submissions/);
    await stack.waitForRun(second.body.id, undefined, 60_000);
  });

  it('refuses a submission before a phase opens (409 phase_closed, nextOpensAt) and after the last (409 benchmark_closed)', async () => {
    const early = await submit('upcoming', 'x');
    assert.equal(early.status, 409);
    const body = ErrorBody.parse(early.body).error;
    assert.equal(body.code, 'phase_closed');
    assert.equal(body.nextOpensAt, iso(t0 + 2 * HOUR));
    assert.match(body.message, new RegExp(`its phase one opens at ${iso(t0 + 2 * HOUR)}`));
    const late = await submit('ended', 'x');
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'benchmark_closed');
    assert.equal(late.body.error.nextOpensAt, undefined);
    assert.match(late.body.error.message, /benchmark ended is closed: its last phase, one, ended at/);
  });

  it('lists the phases, the open one with the seconds left and the next; a benchmark without phases as before', async () => {
    const list = BenchmarkList.parse((await stack.http.get('/v1/benchmarks').expect(200)).body);
    const get = (name: string) => list.benchmarks.find((b) => b.name === name)!;
    const p = get('phased');
    assert.deepEqual(
      p.phases?.map((ph) => [ph.name, ph.quotas]),
      [
        ['development', { perDay: 2 }],
        ['final', { perDay: 1 }],
      ],
    );
    assert.equal(p.openPhase?.name, 'development');
    assert.equal(p.openPhase?.endsAt, iso(t0 + HOUR));
    assert.ok(p.openPhase!.secondsLeft > 3000 && p.openPhase!.secondsLeft <= 3600, String(p.openPhase!.secondsLeft));
    assert.equal(p.nextPhase?.name, 'final');
    assert.equal(get('upcoming').openPhase, undefined);
    assert.equal(get('upcoming').nextPhase?.startsAt, iso(t0 + 2 * HOUR));
    assert.deepEqual([get('ended').openPhase, get('ended').nextPhase], [undefined, undefined]);
    const plain = get('plain');
    assert.deepEqual([plain.phases, plain.openPhase, plain.nextPhase], [undefined, undefined, undefined]);
    assert.equal((await stack.http.get('/v1/benchmarks/phased').expect(200)).body.openPhase.name, 'development');
  });

  it('works from the CLI: benchmarks shows the phases and the time left; leaderboard --phase filters', async () => {
    const env = { MODELRUN_URL: stack.api.url };
    const listed = await modelrun(['benchmarks'], env);
    assert.equal(listed.status, 0, explain(listed));
    assert.match(listed.stdout, /phase: open: development, (59m \d+s|1h) left/);
    assert.match(listed.stdout, /development\s+\S+\s+\S+\s+2 a day\s+open, /);
    assert.match(listed.stdout, /phase: closed: one opens at /);
    assert.match(listed.stdout, /phase: closed: its last phase has ended/);
    const dev = await modelrun(['leaderboard', 'phased', '--phase', 'development'], env);
    assert.equal(dev.status, 0, explain(dev));
    assert.match(dev.stdout, /alpha\s+0\.75/);
    assert.match(dev.stdout, /beta\s+0\.75/);
  });

  it('gives a new phase fresh quota counts and its own board (a second API on the file after the switch)', async () => {
    const switchAt = Date.now();
    const file = writeBenchmarksFile(reference, [phased(switchAt, switchAt)]);
    later = await startApi(loadApiConfig({ ...stack.env, BENCHMARKS_FILE: file }), testLogger('api-later'));
    const http = supertest(later.url);
    const listed = BenchmarkList.parse((await http.get('/v1/benchmarks').expect(200)).body).benchmarks[0]!;
    assert.equal(listed.openPhase?.name, 'final');
    const fresh = await submit('phased', 'gamma', http);
    assert.equal(fresh.status, 202, `fresh counts in the new phase: ${JSON.stringify(fresh.body)}`);
    assert.equal(fresh.body.benchmarkPhase, 'final');
    const over = await submit('phased', 'gamma', http);
    assert.equal(over.status, 429, "the benchmark's quota (1 a day) in the final phase");
    const end = await stack.waitForRun(fresh.body.id, undefined, 60_000);
    assert.equal(end.status, 'succeeded', JSON.stringify(end));
    assert.equal(record('gamma', fresh.body.id).benchmarkPhase, 'final');

    await waitFor('the final board on the later API', async () => ((await board(http, 'final')).length === 1 ? true : undefined), 20_000);
    assert.deepEqual(await board(http, 'final'), ['gamma']);
    assert.deepEqual((await board(http, 'development')).sort(), ['alpha', 'beta']);
    assert.deepEqual((await board(http)).sort(), ['alpha', 'beta', 'gamma']);
    const unknown = await http.get('/v1/benchmarks/phased/leaderboard?phase=nope');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /benchmark phased has no phase "nope" \(its phases: development, final\)/);
  });
});
