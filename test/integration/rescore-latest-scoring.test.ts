import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import { loadWorkerConfig } from '@modelrun/config';
import { type RescoreJobData, type RunRecord, type RunView, newRunId } from '@modelrun/contracts';
import { RescoreProgressStore, RescoredRuns } from '@modelrun/run-control';
import { RecordStore, ResultsStore, VolumeLayout } from '@modelrun/store';
import { rescoreRun } from '../../apps/worker/src/rescore';
import { infra } from '../helpers/infra';
import { testLogger } from '../helpers/logger';
import { type Stack, startStack } from '../helpers/stack';
import { testRedis } from '../helpers/redis-server';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { buildRescoreFixtures } from '../fixtures/benchmark-rescore';
import { DETAILS } from '../fixtures/benchmark-results';
import { buildFixture, fixture } from '../fixtures/images';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
/** An evaluator that writes a public score, a private part and detailed results. */
const FULL_SCORE = { score: 0.6, metrics: { accuracy: 0.6, error_rate: 0.4 }, private: { score: 0.4, metrics: { accuracy: 0.4, error_rate: 0.6 } } };

interface BoardEntry {
  name: string;
  bestRun: { id: string };
  metrics: Record<string, number>;
}

/**
 * After a re-score the latest scoring is the truth (issue 19), on the boards without an API
 * restart even when the API never heard the re-score's `completed` event, and with nothing of
 * the older evaluator left beside it: its private metrics (record, index, private board) and its
 * detailed results. The re-score here is a real one (a real evaluator container on the run's kept
 * predictions, the worker's own rescoreRun), run outside the queue: the API gets no event of it.
 */
describe('the latest scoring is the truth after a re-score', function () {
  this.timeout(90_000);
  let stack: Stack;
  let reference: string;
  const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  const board = async (which: 'public' | 'private'): Promise<BoardEntry[]> =>
    ((await stack.http.get(`/v1/benchmarks/ls/leaderboard${which === 'private' ? '?board=private' : ''}`).set(auth)).body as { entries: BoardEntry[] }).entries;

  before(async () => {
    await infra();
    await Promise.all([
      buildBenchmarkFixtures(),
      buildRescoreFixtures(),
      buildFixture('ls-eval-full', {
        script: `echo '${JSON.stringify(FULL_SCORE)}' > "$OUTPUT_DIR/score.json"; echo '${JSON.stringify(DETAILS)}' > "$OUTPUT_DIR/details.json"`,
      }),
    ]);
    reference = `modelrun-test-ref-latest-${process.pid}`;
    await createReferenceVolume(reference);
    stack = await startStack({ env: { API_TOKENS: ADMIN_TOKEN, BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'ls', evaluator: 'ls-eval-full' }]) } });
  });
  after(async () => {
    await stack?.stop();
    if (reference) await removeVolume(reference);
  });

  it("a re-score whose completed event the API missed is on the boards after its next rescan, and the older evaluator's private metrics and details are gone everywhere", async () => {
    const res = await stack.http
      .post('/v1/models')
      .set(auth)
      .send({ image: fixture('bm-honest'), name: 'honest', benchmark: 'ls' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await stack.waitForRun(res.body.id as string, undefined, 60_000);
    assert.deepEqual([run.status, run.score, run.privateScore, run.hasDetails], ['succeeded', 0.6, 0.4, true], JSON.stringify(run));
    assert.deepEqual(
      (await board('private')).map((e) => [e.bestRun.id, e.metrics.accuracy]),
      [[run.id, 0.4]],
    );

    // A worker whose evaluator was fixed: public score only, no details (bm-eval-inverted: 0.25).
    const fixed = loadWorkerConfig({ ...stack.env, BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'ls', evaluator: 'bm-eval-inverted' }]) });
    const conn = testRedis(stack.redisUrl);
    const progress = new RescoreProgressStore(conn, stack.prefix);
    const rescoreId = newRunId();
    await progress.start({ id: rescoreId, benchmark: 'ls', requestedBy: 'test', createdAt: new Date().toISOString(), total: 1, skipped: [], queued: [run.id] });
    const deps = {
      runner: stack.workers[0]!.runner,
      store: new RecordStore(stack.dataDir),
      results: new ResultsStore(stack.dataDir),
      benchmarks: fixed.benchmarks,
      limits: fixed.limits,
      progress,
      rescored: new RescoredRuns(conn, stack.prefix),
      log: testLogger('rescore'),
    };
    const job = { data: { rescoreId, runId: run.id, name: run.name, benchmark: 'ls' } } as Job<RescoreJobData>;
    assert.equal(await rescoreRun(deps, job), 'changed');
    conn.disconnect();

    // The record: the new public score, and nothing of the older evaluator's beside it.
    const layout = new VolumeLayout(stack.dataDir);
    const record = JSON.parse(readFileSync(layout.recordPath(run.name, run.id), 'utf8')) as RunRecord;
    assert.deepEqual([record.score, record.privateScore, record.privateMetrics, record.hasDetails], [0.25, undefined, undefined, undefined]);
    assert.equal(record.scoreHistory?.[0]?.privateScore, 0.4, 'the history keeps what the older evaluator said');
    assert.equal(existsSync(layout.detailsPath(run.name, run.id)), false, "the older evaluator's details.json is removed");
    assert.equal((await stack.http.get(`/v1/runs/${run.id}/details`).set(auth)).status, 404);

    // The API heard nothing: its board is still the old one until its rescan.
    assert.equal((await board('public'))[0]?.metrics.accuracy, 0.6);
    await stack.api.feed.rescan();
    assert.deepEqual(
      (await board('public')).map((e) => [e.bestRun.id, e.metrics.accuracy]),
      [[run.id, 0.25]],
    );
    assert.deepEqual(await board('private'), [], 'no private score stands beside the new public one');
    const view = (await stack.http.get(`/v1/runs/${run.id}`).set(auth)).body as RunView;
    assert.deepEqual([view.score, view.privateScore, view.hasDetails, view.scoreHistory?.length], [0.25, undefined, undefined, 2]);
  });
});
