import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Queue } from 'bullmq';
import { RESCORE_QUEUE, type RescoreProgress, type RunRecord, evaluatorContainerName, rescoreContainerRunId, rescoreJobId } from '@modelrun/contracts';
import { createLogger } from '@modelrun/logger';
import { keeperName } from '@modelrun/runner';
import { VolumeLayout } from '@modelrun/store';
import { infra } from '../helpers/infra';
import { type Stack, startStack } from '../helpers/stack';
import { testRedis } from '../helpers/redis-server';
import { docker } from '../helpers/docker';
import { waitFor } from '../helpers/wait';
import { BENCHMARK_FIXTURES, buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { buildFixture, fixture } from '../fixtures/images';

const ADMIN_TOKEN = randomBytes(24).toString('hex');

interface Logged {
  message: string;
  containerId?: string;
  error?: string;
  hold?: { container: string; keeper: { name: string; found: boolean }; events: { time: string; action: string; actor: string }[] };
}

/**
 * A dropped evaluator output (issue 19): the evaluator's output read back empty because nothing
 * held its tmpfs is the platform's fault, retried by the one rule the model's output has
 * (faults.ts droppedOutput), in a run's evaluation step and in a re-score. Made to happen for
 * real: the evaluator's keeper is removed while the evaluator runs, so its writes go with the
 * volume when it exits.
 */
describe('a dropped evaluator output is retried, in a run and in a re-score', function () {
  this.timeout(90_000);
  let stack: Stack;
  let reference: string;
  let layout: VolumeLayout;
  const logged: Logged[] = [];
  const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  let runId: string;

  /** Removes the keeper of the evaluator container `name` once that container runs. */
  const loseKeeperWhileRunning = async (name: string): Promise<void> => {
    const d = await docker();
    await waitFor(
      `${name} to run`,
      async () => {
        const info = await d
          .getContainer(name)
          .inspect()
          .catch(() => undefined);
        return info?.State.Running ? true : undefined;
      },
      30_000,
      50,
    );
    await d.getContainer(keeperName(name)).remove({ force: true });
  };
  const droppedLogs = (container: string): Logged[] => logged.filter((l) => /its output was dropped/.test(l.message) && l.hold?.container === container);

  before(async () => {
    await infra();
    // 3 s of work: long enough to lose its keeper while it runs, on a loaded engine.
    await Promise.all([buildBenchmarkFixtures(), buildFixture('bm-eval-3s', { script: `echo evaluating; sleep 3; ${BENCHMARK_FIXTURES['bm-eval'].script}` })]);
    reference = `modelrun-test-ref-dropped-${process.pid}`;
    await createReferenceVolume(reference);
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (line.trim()) logged.push(JSON.parse(line) as Logged);
      }
    });
    stack = await startStack({
      env: { API_TOKENS: ADMIN_TOKEN, BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'dr', evaluator: 'bm-eval-3s' }]), WORKER_CONCURRENCY: '2' },
      workerLog: createLogger({ service: 'worker', level: 'info', format: 'json', stream }),
    });
    layout = new VolumeLayout(stack.dataDir);
  });
  after(async () => {
    await stack?.stop();
    if (reference) await removeVolume(reference);
  });

  it("a run whose evaluator's output was dropped is retried with a new evaluator and scored, never failed; the log shows the keeper gone and the engine's events", async () => {
    const res = await stack.http
      .post('/v1/models')
      .set(auth)
      .send({ image: fixture('bm-honest'), name: 'honest', benchmark: 'dr' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    runId = res.body.id as string;
    const evaluator = evaluatorContainerName(stack.prefix, runId);
    await loseKeeperWhileRunning(evaluator);
    const end = await stack.waitForRun(runId, undefined, 60_000);
    assert.equal(end.status, 'succeeded', JSON.stringify(end));
    assert.equal(end.score, 0.75);
    assert.deepEqual(
      (end.attemptErrors ?? []).map((e) => e.message),
      ["docker: the evaluator's output volume was no longer held when it was read (its keeper container had stopped, so the engine unmounted the tmpfs); the evaluator runs again"],
    );
    const [log] = droppedLogs(evaluator);
    assert.ok(log, `the drop is logged: ${JSON.stringify(logged.filter((l) => /dropped/.test(l.message)))}`);
    assert.match(log.message, /^the run's evaluator: its output was dropped/);
    assert.deepEqual([log.hold!.keeper.name, log.hold!.keeper.found], [keeperName(evaluator), false]);
    const actions = log.hold!.events.map((e) => `${e.actor} ${e.action}`);
    assert.ok(actions.includes(`${keeperName(evaluator)} destroy`), `the keeper's removal is among the engine's events: ${actions.join(', ')}`);
    assert.ok(actions.includes(`${evaluator} die`), `the evaluator's exit too: ${actions.join(', ')}`);
    assert.equal(new Set(actions.map((a, i) => `${log.hold!.events[i]!.time} ${a}`)).size, actions.length, 'each event once');
  });

  it("a re-score whose evaluator's output was dropped: its job is tried again (BullMQ's attempts) and the run is re-scored once, not failed", async () => {
    const res = await stack.http.post(`/v1/runs/${runId}/rescore`).set(auth);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = (res.body as RescoreProgress).id;
    const evaluator = evaluatorContainerName(stack.prefix, rescoreContainerRunId(id, runId));
    await loseKeeperWhileRunning(evaluator);
    const done = await waitFor(
      're-score to be done',
      async () => {
        const p = (await stack.http.get(`/v1/rescores/${id}`).set(auth)).body as RescoreProgress;
        return p.done === p.total ? p : undefined;
      },
      60_000,
      200,
    );
    assert.deepEqual([done.total, done.unchanged, done.changed, done.failed], [1, 1, 0, 0]);
    const record = JSON.parse(readFileSync(layout.recordPath('honest', runId), 'utf8')) as RunRecord;
    assert.deepEqual(
      record.scoreHistory?.map((e) => [e.rescoreId ?? 'original', e.score, e.error]),
      [
        ['original', 0.75, undefined],
        [id, 0.75, undefined],
      ],
    );
    const conn = testRedis(stack.redisUrl);
    const queue = new Queue(RESCORE_QUEUE, { connection: conn, prefix: stack.prefix });
    const job = await queue.getJob(rescoreJobId(id, runId));
    await queue.close();
    conn.disconnect();
    assert.equal(job?.attemptsMade, 2, 'one try dropped, the second scored');
    assert.match(job?.stacktrace?.[0] ?? '', /the evaluator's output volume was no longer held/);
    const [log] = droppedLogs(evaluator);
    assert.ok(log, 'the drop is logged');
    assert.match(log.message, /^a re-score's evaluator: its output was dropped/);
    assert.equal(log.hold!.keeper.found, false);
  });
});
