import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { RESCORE_QUEUE, type RescoreProgress, type RunView, rescoreJobId } from '@modelrun/contracts';
import { infra } from '../helpers/infra';
import { type Stack, startStack } from '../helpers/stack';
import { testRedis } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { buildFixture, fixture } from '../fixtures/images';

const ADMIN_TOKEN = randomBytes(24).toString('hex');

/**
 * Re-scores wait strictly behind submissions (issue 19: "at a lower priority than submissions"):
 * a worker takes a re-score only with a free run slot and no submission waiting in the runs
 * queue (rescore-gate.ts). One run slot here, so the order is plain to see.
 */
describe('re-scores strictly behind submissions', function () {
  this.timeout(90_000);
  let stack: Stack;
  let reference: string;
  const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  before(async () => {
    await infra();
    await Promise.all([buildBenchmarkFixtures(), buildFixture('two-seconds', { script: `sleep 2; echo '{"score": 0.5}' > "$OUTPUT_DIR/score.json"` })]);
    reference = `modelrun-test-ref-behind-${process.pid}`;
    await createReferenceVolume(reference);
    stack = await startStack({ env: { API_TOKENS: ADMIN_TOKEN, BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'bh', evaluator: 'bm-eval' }]), WORKER_CONCURRENCY: '1' } });
  });
  after(async () => {
    await stack?.stop();
    if (reference) await removeVolume(reference);
  });

  it('with submissions waiting no re-score starts; once they have drained, the re-score runs', async () => {
    const scored = await stack.http
      .post('/v1/models')
      .set(auth)
      .send({ image: fixture('bm-honest'), name: 'honest', benchmark: 'bh' });
    assert.equal(scored.status, 202, JSON.stringify(scored.body));
    const run = await stack.waitForRun(scored.body.id as string, undefined, 60_000);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));

    // Three submissions, then at once a re-score: the one slot takes them first, in turn.
    const submitted: RunView[] = [];
    for (let i = 0; i < 3; i++) submitted.push(await stack.submit(fixture('two-seconds'), `busy-${i}`));
    const res = await stack.http.post(`/v1/runs/${run.id}/rescore`).set(auth);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = (res.body as RescoreProgress).id;

    const done = await waitFor(
      're-score to be done',
      async () => {
        const p = (await stack.http.get(`/v1/rescores/${id}`).set(auth)).body as RescoreProgress;
        return p.done === p.total ? p : undefined;
      },
      60_000,
      200,
    );
    assert.deepEqual([done.total, done.unchanged, done.failed], [1, 1, 0]);
    const ended = await Promise.all(submitted.map((r) => stack.waitForRun(r.id, undefined, 30_000)));
    for (const r of ended) assert.equal(r.status, 'succeeded', JSON.stringify(r));

    const conn = testRedis(stack.redisUrl);
    const queue = new Queue(RESCORE_QUEUE, { connection: conn, prefix: stack.prefix });
    const job = await queue.getJob(rescoreJobId(id, run.id));
    await queue.close();
    conn.disconnect();
    const rescoreStarted = job?.processedOn ?? 0;
    const lastStarted = Math.max(...ended.map((r) => Date.parse(r.startedAt!)));
    const lastFinished = Math.max(...ended.map((r) => Date.parse(r.finishedAt!)));
    console.log(`      the re-score started ${rescoreStarted - lastFinished} ms after the last submission finished`);
    assert.ok(rescoreStarted >= lastStarted, 'no re-score started while a submission waited');
    // One slot: the re-score waited for it too.
    assert.ok(rescoreStarted >= lastFinished - 1_000, `the re-score took the slot only once the last run gave it back (${rescoreStarted} vs ${lastFinished})`);
  });
});
