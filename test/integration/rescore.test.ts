import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AuditEntry, RescoreProgress, RunRecord, RunView } from '@modelrun/contracts';
import { VolumeLayout } from '@modelrun/store';
import type { Test } from 'supertest';
import { explain, modelrun } from '../helpers/cli';
import { infra } from '../helpers/infra';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { buildRescoreFixtures } from '../fixtures/benchmark-rescore';
import { rescorePendingKey } from '@modelrun/run-control';
import { testRedis } from '../helpers/redis-server';
import { fixture } from '../fixtures/images';
import { succeededRecord } from '../fixtures/records';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
// Short locks and stall checks so a killed worker's re-score is redelivered in seconds.
const FAST_STALLS = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_MAX_STALLED: '5', WORKER_SHUTDOWN_GRACE_SECONDS: '1' };

/**
 * Re-scoring (issue 19): runs scored by one evaluator, then re-scored on their kept predictions
 * by another image that scores the other way round. Four runs are scored end to end; the rest
 * of each batch are records and kept predictions written as a worker writes them (copies of the
 * real runs'), so the suite stays short while every re-score runs a real evaluator container.
 */
describe('re-scoring', function () {
  this.timeout(120_000);
  let stack: Stack;
  let reference: string;
  let layout: VolumeLayout;
  const tokens: Record<string, string> = {};
  const procs: AppProcess[] = [];
  const as = (user: string) => (t: Test) => t.set('Authorization', `Bearer ${user === 'admin' ? ADMIN_TOKEN : tokens[user]}`);
  const real: RunView[] = [];

  const progressOf = async (id: string): Promise<RescoreProgress> => (await as('olga')(stack.http.get(`/v1/rescores/${id}`))).body as RescoreProgress;
  const untilDone = (id: string, timeoutMs: number): Promise<RescoreProgress> =>
    waitFor(
      `re-score ${id} to be done`,
      async () => {
        const p = await progressOf(id);
        return p.done === p.total ? p : undefined;
      },
      timeoutMs,
      200,
    );
  const record = (name: string, id: string): RunRecord => JSON.parse(readFileSync(layout.recordPath(name, id), 'utf8')) as RunRecord;

  /** `count` more records of benchmark `benchmark` like the real run `like`, each with a copy of its kept predictions. */
  function seed(like: RunView, benchmark: string, count: number, from: number): RunView[] {
    const original = record(like.name, like.id);
    const tar = readFileSync(layout.predictionsPath(like.name, like.id));
    return Array.from({ length: count }, (_, i) => {
      // As first scored: a run re-scored already is copied with its original score and no history.
      const { id: _id, createdAt: _c, finishedAt: _f, scoreHistory, ...rest } = original;
      const first = scoreHistory?.[0];
      const scored = first ? { score: first.score, metrics: first.metrics, evaluatorImage: first.evaluatorImage } : {};
      const r: RunRecord = { ...succeededRecord(like.name, from + i), ...rest, ...scored, benchmark };
      mkdirSync(dirname(layout.recordPath(r.name, r.id)), { recursive: true });
      writeFileSync(layout.recordPath(r.name, r.id), JSON.stringify(r));
      mkdirSync(dirname(layout.predictionsPath(r.name, r.id)), { recursive: true });
      writeFileSync(layout.predictionsPath(r.name, r.id), tar);
      return r as RunView;
    });
  }

  before(async function () {
    await infra();
    await Promise.all([buildBenchmarkFixtures(), buildRescoreFixtures()]);
    reference = `modelrun-test-ref-rescore-${process.pid}`;
    await createReferenceVolume(reference);
    // A day's quota of 5: the four real runs take four; a re-score that counted would take the fifth.
    const file = writeBenchmarksFile(reference, [
      { name: 'rs', evaluator: 'bm-eval', quotas: { perDay: 5 } },
      { name: 'rs-crash', evaluator: 'bm-eval' },
    ]);
    stack = await startStack({ env: { API_TOKENS: ADMIN_TOKEN, BENCHMARKS_FILE: file, WORKER_CONCURRENCY: '4', ...FAST_STALLS } });
    layout = new VolumeLayout(stack.dataDir);
    const admin = as('admin');
    for (const [id, role] of [
      ['olga', 'operator'],
      ['alice', 'member'],
    ] as const) {
      assert.equal((await admin(stack.http.post('/v1/users')).send({ id, role })).status, 201);
      tokens[id] = (await admin(stack.http.post('/v1/tokens')).send({ user: id, name: 'test' })).body.token as string;
    }
    const subs = await Promise.all(
      (['bm-honest', 'bm-honest', 'bm-peek', 'bm-peek'] as const).map((image) =>
        as('alice')(stack.http.post('/v1/models')).send({ image: fixture(image), name: image === 'bm-honest' ? 'honest' : 'peek', benchmark: 'rs' }),
      ),
    );
    for (const s of subs) {
      assert.equal(s.status, 202, JSON.stringify(s.body));
      const end = await stack.waitForRun(s.body.id as string, undefined, 60_000);
      assert.equal(end.status, 'succeeded', JSON.stringify(end));
      real.push(end);
    }
  });
  after(async () => {
    for (const p of procs.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
    await stack?.stop();
    if (reference) await removeVolume(reference);
  });

  it('a bulk re-score of 20 runs by a new evaluator image: every score changed, each history has both scores, the board ranks by the new ones, no quota spent', async () => {
    const honest = real.find((r) => r.name === 'honest')!;
    const peek = real.find((r) => r.name === 'peek')!;
    assert.equal(honest.score, 0.75);
    assert.equal(peek.score, 0.25);
    const seeded = [...seed(honest, 'rs', 8, Date.parse('2026-01-01T00:00:00Z')), ...seed(peek, 'rs', 8, Date.parse('2026-01-02T00:00:00Z'))];
    await stack.api.feed.rescan();
    const runs = [...real, ...seeded];
    const before = (await as('alice')(stack.http.get('/v1/benchmarks/rs/leaderboard'))).body;
    assert.deepEqual(
      (before.entries as { name: string }[]).map((e) => e.name),
      ['honest', 'peek'],
    );
    const originalImage = record(honest.name, honest.id).evaluatorImage!;

    // The operator fixes the evaluator: this worker goes, one with the new image comes.
    const fixed = writeBenchmarksFile(reference, [
      { name: 'rs', evaluator: 'bm-eval-inverted', quotas: { perDay: 5 } },
      { name: 'rs-crash', evaluator: 'bm-eval-inverted-slow' },
    ]);
    await stack.workers.shift()!.close('evaluator changed');
    // Eight run slots: four re-scores at once.
    await stack.startWorker({ BENCHMARKS_FILE: fixed, WORKER_CONCURRENCY: '8' });

    const started = Date.now();
    const res = await as('olga')(stack.http.post('/v1/benchmarks/rs/rescore')).send({});
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const progress = res.body as RescoreProgress;
    assert.equal(progress.total, 20);
    const done = await untilDone(progress.id, 90_000);
    console.log(`      bulk re-score of 20 runs: ${Date.now() - started} ms`);
    assert.deepEqual({ ...done, createdAt: undefined }, { ...progress, createdAt: undefined, done: 20, changed: 20, unchanged: 0, skipped: 0, failed: 0 });

    for (const r of runs) {
      const rec = record(r.name, r.id);
      assert.equal(rec.scoreHistory?.length, 2, `${r.id}: ${JSON.stringify(rec.scoreHistory)}`);
      const [first, second] = rec.scoreHistory!;
      assert.equal(first!.rescoreId, undefined, 'the first entry is the original scoring');
      assert.equal(first!.score, r.name === 'honest' ? 0.75 : 0.25);
      assert.equal(first!.evaluatorImage, originalImage);
      assert.equal(second!.rescoreId, progress.id);
      assert.equal(second!.score, r.name === 'honest' ? 0.25 : 0.75);
      assert.match(second!.evaluatorImage ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.notEqual(second!.evaluatorImage, originalImage, 'the new evaluator image');
      assert.equal(rec.score, second!.score, 'the record carries the latest score');
      assert.equal(rec.evaluatorImage, second!.evaluatorImage);
    }
    // The board uses the latest scores (the index read the replaced records).
    await waitFor(
      'the board to rank by the new scores',
      async () => {
        const board = (await as('alice')(stack.http.get('/v1/benchmarks/rs/leaderboard'))).body as { entries: { name: string; metrics: { accuracy: number } }[] };
        return board.entries.map((e) => e.name).join() === 'peek,honest' ? board : undefined;
      },
      10_000,
    );
    // The run page's view carries the history.
    const view = (await as('alice')(stack.http.get(`/v1/runs/${honest.id}`))).body as RunView;
    assert.equal(view.scoreHistory?.length, 2);
    assert.equal(view.score, 0.25);
    // Four of five counted today: the re-scores took no place, so the fifth is still free.
    const fifth = await as('alice')(stack.http.post('/v1/models')).send({ image: fixture('bm-honest'), name: 'honest', benchmark: 'rs' });
    assert.equal(fifth.status, 202, JSON.stringify(fifth.body));
    await as('alice')(stack.http.delete(`/v1/runs/${fifth.body.id as string}`));
    const audit = ((await as('admin')(stack.http.get('/v1/audit'))).body.entries as AuditEntry[]).filter((e) => e.action === 'benchmark.rescore');
    assert.deepEqual(
      audit.map((e) => [e.actor, e.target, e.details?.rescore]),
      [['olga', 'benchmark:rs', progress.id]],
    );
  });

  it('one run re-scored twice at once by operators: both entries kept, unchanged; a member is refused 403; an unknown re-score is 404', async () => {
    const honest = real.find((r) => r.name === 'honest')!;
    const both = await Promise.all(['olga', 'admin'].map((who) => as(who)(stack.http.post(`/v1/runs/${honest.id}/rescore`))));
    for (const res of both) {
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const done = await untilDone((res.body as RescoreProgress).id, 30_000);
      assert.deepEqual([done.total, done.unchanged, done.changed], [1, 1, 0]);
    }
    const history = record(honest.name, honest.id).scoreHistory ?? [];
    assert.deepEqual(
      history
        .slice(2)
        .map((e) => e.rescoreId)
        .sort(),
      both.map((r) => (r.body as RescoreProgress).id).sort(),
      'neither rewrite lost the other',
    );
    const refused = await as('alice')(stack.http.post(`/v1/runs/${honest.id}/rescore`));
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /runs\.rescore needs the role admin or operator/);
    assert.equal((await as('alice')(stack.http.post('/v1/benchmarks/rs/rescore')).send({})).status, 403);
    assert.equal((await as('olga')(stack.http.get('/v1/rescores/00000000-0000-7000-8000-000000000000'))).status, 404);
    const audit = ((await as('admin')(stack.http.get('/v1/audit'))).body.entries as AuditEntry[]).filter((e) => e.action === 'run.rescore');
    // Both audited; the admin's token is named by its id (no user behind it).
    assert.deepEqual(
      audit.map((e) => e.target),
      [`run:${honest.id}`, `run:${honest.id}`],
    );
    assert.ok(audit.some((e) => e.actor === 'olga'));
  });

  it('modelrun rescore ID --wait prints the progress until done; modelrun run ID prints the history', async () => {
    const env = (user: string) => ({ MODELRUN_URL: stack.api.url, MODELRUN_TOKEN: tokens[user]! });
    const peek = real.find((r) => r.name === 'peek')!;
    const ok = await modelrun(['rescore', peek.id, '--wait'], env('olga'));
    assert.equal(ok.status, 0, explain(ok));
    assert.match(ok.stdout, /^re-score [0-9a-f-]{36} of 1 run of benchmark rs$/m);
    assert.match(ok.stdout, /^1\/1 done: 0 changed, 1 unchanged, 0 skipped \(no kept predictions\), 0 failed$/m);
    const shown = await modelrun(['run', peek.id], env('alice'));
    assert.equal(shown.status, 0, explain(shown));
    assert.match(shown.stdout, /^score history:$/m);
    assert.match(shown.stdout, /^ {2}\S+ +0\.25\d* +[0-9a-f]{12} +original$/m);
    assert.equal(shown.stdout.match(/^ {2}\S+ +0\.75\d* +[0-9a-f]{12} +[0-9a-f-]{36}$/gm)?.length, 2, 'the bulk and this re-score');
  });

  it('kill -9 of the worker in the middle of a bulk re-score: another finishes it, and every run is re-scored exactly once', async () => {
    const honest = real.find((r) => r.name === 'honest')!;
    const runs = seed(honest, 'rs-crash', 5, Date.parse('2026-02-01T00:00:00Z'));
    await stack.api.feed.rescan();
    // The in-process worker goes: child processes do the work, one killed -9 mid-way.
    for (const w of stack.workers.splice(0)) await w.close('child workers now');
    const fixed = writeBenchmarksFile(reference, [
      { name: 'rs', evaluator: 'bm-eval-inverted' },
      { name: 'rs-crash', evaluator: 'bm-eval-inverted-slow' },
    ]);
    const worker = async (): Promise<AppProcess> => {
      const p = spawnApp('worker', { ...stack.env, BENCHMARKS_FILE: fixed, WORKER_CONCURRENCY: '2' });
      procs.push(p);
      await p.waitForLog('worker started');
      return p;
    };
    const a = await worker();
    const res = await as('olga')(stack.http.post('/v1/benchmarks/rs-crash/rescore')).send({});
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = (res.body as RescoreProgress).id;
    // Killed once some runs are done and the next one's evaluator is running.
    await waitFor('two runs re-scored', async () => ((await progressOf(id)).done >= 2 ? true : undefined), 60_000, 100);
    a.kill('SIGKILL');
    await a.exited;
    const killedAt = (await progressOf(id)).done;
    assert.ok(killedAt < 5, `killed before the end (${killedAt} of 5 done)`);
    // The runs not yet re-scored are pending: retention keeps their predictions meanwhile.
    const conn = testRedis(stack.redisUrl);
    const pending = await conn.smembers(rescorePendingKey(stack.prefix));
    assert.equal(pending.length, 5 - killedAt, JSON.stringify(pending));
    await worker();
    const done = await untilDone(id, 60_000);
    assert.deepEqual([done.total, done.done, done.changed, done.unchanged, done.skipped, done.failed], [5, 5, 5, 0, 0, 0]);
    assert.deepEqual(await conn.smembers(rescorePendingKey(stack.prefix)), [], 'none pending once every run is counted');
    conn.disconnect();
    for (const r of runs) {
      const history = record(r.name, r.id).scoreHistory ?? [];
      assert.equal(history.filter((e) => e.rescoreId === id).length, 1, `${r.id}: ${JSON.stringify(history)}`);
      assert.equal(history.length, 2);
    }
  });
});
