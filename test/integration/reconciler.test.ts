import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RUN_QUEUE, newRunId } from '@modelrun/contracts';
import { createDockerRunner } from '@modelrun/runner';
import { type Stack, startStack } from '../helpers/stack';
import { LONG_MODEL, buildLongModel, release } from '../helpers/two-hosts';
import { containersOf, docker, keepersOf } from '../helpers/docker';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

describe('the reconciler', function () {
  // A run of the 3 s short-sleep model plus the reconciler's passes, with room for a loaded engine.
  this.timeout(60_000);
  let stack: Stack;

  before(async () => {
    await buildLongModel();
    stack = await startStack({ workers: 1 });
  });
  after(async () => {
    await stack?.stop();
  });

  const runnerFor = (deployment: string) => createDockerRunner({ deployment, sandbox: { pidsLimit: 64, tmpMb: 16, logMaxBytes: 65536, outputMaxBytes: 1 << 20, stopGraceSeconds: 1 } });

  it('removes a container whose run the queue does not know (a crash between create and record)', async () => {
    const runner = runnerFor(stack.prefix);
    const orphan = await runner.prepare({ runId: newRunId(), name: 'orphan', image: fixture('slow'), limits: { timeoutSeconds: 60, memoryMb: 64, cpus: 1, gpus: 0 } });
    await runner.start(orphan);
    const report = await stack.workers[0]!.reconcileNow();
    assert.equal(report?.removed, 1);
    assert.deepEqual(await containersOf(stack.prefix), []);
  });

  it('leaves the container of a run that is still in flight', async () => {
    // Runs until released: a model that ended on its own (and had its container removed by its
    // worker) before the count below would fail this on timing, not on the reconciler.
    const run = await stack.submit(fixture(LONG_MODEL), 'in-flight');
    await stack.waitForPhase(run.id, 'running');
    const report = await stack.workers[0]!.reconcileNow();
    assert.equal(report?.removed, 0);
    assert.equal((await containersOf(stack.prefix)).length, 1);
    await release(await docker(), stack.prefix, run.id);
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'succeeded');
  });

  it('removes a container whose run has already been recorded', async () => {
    const run = await stack.submit(fixture('score-json'), 'recorded');
    await stack.waitForRun(run.id);
    // The run's own clean-up removes its container, then its output keeper: both gone before one is put back.
    await waitFor("the run's own cleanup", async () => ((await containersOf(stack.prefix)).length === 0 && (await keepersOf(stack.prefix)).length === 0 ? true : undefined));
    // As if the worker died after recording but before removing: put a container back.
    const runner = runnerFor(stack.prefix);
    await runner.prepare({ runId: run.id, name: 'recorded', image: fixture('score-json'), limits: { timeoutSeconds: 60, memoryMb: 64, cpus: 1, gpus: 0 } });
    const conn = new Redis(stack.redisUrl);
    const queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
    assert.equal(await queue.getJobState(run.id), 'completed');
    await queue.close();
    conn.disconnect();
    const report = await stack.workers[0]!.reconcileNow();
    assert.equal(report?.removed, 1);
    assert.deepEqual(await containersOf(stack.prefix), []);
  });

  it("never touches another deployment's containers", async () => {
    const other = runnerFor(`${stack.prefix}x`);
    const handle = await other.prepare({ runId: newRunId(), name: 'neighbour', image: fixture('score-json'), limits: { timeoutSeconds: 60, memoryMb: 64, cpus: 1, gpus: 0 } });
    try {
      await stack.workers[0]!.reconcileNow();
      assert.equal((await containersOf(`${stack.prefix}x`)).length, 1);
    } finally {
      await other.remove(handle);
    }
  });
});
