import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWorkerConfig } from '@modelrun/config';
import { createDockerRunner } from '@modelrun/runner';
import { RecordStore } from '@modelrun/store';
import { startWorker } from '@modelrun/worker';
import { containersOf, docker } from '../helpers/docker';
import { watchContainers } from '../helpers/container-watch';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { type Stack, startStack } from '../helpers/stack';
import { testLogger } from '../helpers/logger';
import { testRedis } from '../helpers/redis-server';
import { LONG_MODEL, buildLongModel, release } from '../helpers/two-hosts';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

// Short locks and stall checks so a dead worker's run is noticed in seconds, not minutes.
const FAST_STALLS = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_MAX_STALLED: '5', WORKER_SHUTDOWN_GRACE_SECONDS: '1' };

describe('worker crashes and restarts', function () {
  // Each test runs a 6 s model while workers are killed and started around it.
  this.timeout(90_000);
  let stack: Stack;
  const procs: AppProcess[] = [];

  const worker = async (extra: Record<string, string> = {}): Promise<AppProcess> => {
    const p = spawnApp('worker', { ...stack.env, ...FAST_STALLS, ...extra });
    procs.push(p);
    await p.waitForLog('worker started');
    return p;
  };

  before(() => buildLongModel());
  beforeEach(async () => {
    stack = await startStack({ workers: 0, env: FAST_STALLS });
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
    await stack?.stop();
  });

  const recordFiles = (name: string): string[] => readdirSync(join(stack.dataDir, 'runs', name));

  it('finishes a run once, in one container, when its worker is killed -9 and another starts', async () => {
    const watch = await watchContainers(stack.prefix);
    const a = await worker();
    const run = await stack.submit(fixture('six-seconds'), 'survivor');
    await stack.waitForPhase(run.id, 'running');
    a.kill('SIGKILL');
    await a.exited;
    const b = await worker();
    const done = await stack.waitForRun(run.id, undefined, 40_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.66);
    assert.equal(watch.idsFor(run.id).size, 1, 'exactly one container ever existed for the run');
    assert.ok(
      b.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id),
      'the new worker adopted the container',
    );
    assert.deepEqual(recordFiles('survivor'), [`${run.id}.json`]);
    await waitFor('no container left', async () => ((await containersOf(stack.prefix)).length === 0 ? true : undefined));
  });

  it('runs again in a new container when the one a killed worker left is dead (the engine failed to remove it)', async () => {
    const watch = await watchContainers(stack.prefix);
    const a = await worker();
    const run = await stack.submit(fixture('six-seconds'), 'left-dead');
    await stack.waitForPhase(run.id, 'running');
    a.kill('SIGKILL');
    await a.exited;
    // What an engine leaves when it cannot remove a container's files: the container "dead".
    // An immutable file in its writable layer makes the removal fail the same way.
    const engine = await docker();
    const [left] = await containersOf(stack.prefix);
    const container = engine.getContainer(left!.Id);
    // overlay2's writable layer (dockerode types GraphDriver.Data for devicemapper only).
    const layer = (await container.inspect()).GraphDriver.Data as unknown as { UpperDir: string };
    const pin = join(layer.UpperDir, 'pinned');
    writeFileSync(pin, 'x');
    execFileSync('chattr', ['+i', pin]);
    await assert.rejects(container.remove({ force: true }), /failed to remove root filesystem/);
    execFileSync('chattr', ['-i', pin]);
    assert.equal((await container.inspect()).State.Status, 'dead');

    const b = await worker();
    const done = await stack.waitForRun(run.id, undefined, 40_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.66);
    assert.ok(!b.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id), 'the dead container was not adopted');
    assert.equal(watch.idsFor(run.id).size, 2, 'the dead container, then one new one');
    assert.equal(watch.maxAtOnce(run.id, 'exists'), 1, 'the dead one was gone before the new one was made');
    assert.deepEqual(await containersOf(stack.prefix), []);
    assert.deepEqual(recordFiles('left-dead'), [`${run.id}.json`]);
  });

  it('hands a running run back on SIGTERM after the grace period, leaving its container for the next worker', async () => {
    const watch = await watchContainers(stack.prefix);
    const a = await worker();
    // A model that runs until released: a fixed-length one could end during a slow shutdown
    // (allowed up to 6 s below), and "the container kept running" would then fail on timing.
    const run = await stack.submit(fixture(LONG_MODEL), 'handed-back');
    await stack.waitForPhase(run.id, 'running');
    const signalled = Date.now();
    a.kill('SIGTERM');
    const exit = await a.exited;
    assert.equal(exit.code, 0, 'a graceful shutdown exits 0');
    // 1 s grace (WORKER_SHUTDOWN_GRACE_SECONDS) plus closing connections.
    assert.ok(Date.now() - signalled < 6_000, `shutdown took ${Date.now() - signalled} ms`);
    assert.ok(a.lines.some((l) => String(l.message).startsWith('worker shutting down: run handed back')));
    const [container] = await containersOf(stack.prefix);
    assert.equal(container?.State, 'running', 'the container kept running');
    const b = await worker();
    await waitFor('the new worker to adopt the container', () => b.lines.find((l) => l.message === "adopted the run's existing container" && l.runId === run.id), 30_000);
    await release(await docker(), stack.prefix, run.id);
    const done = await stack.waitForRun(run.id, undefined, 30_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.2);
    assert.equal(watch.idsFor(run.id).size, 1);
  });

  it('lets a run that ends within the grace period finish before exiting on SIGTERM', async () => {
    const a = await worker({ WORKER_SHUTDOWN_GRACE_SECONDS: '20' });
    const run = await stack.submit(fixture('short-sleep'), 'graceful');
    await stack.waitForPhase(run.id, 'running');
    a.kill('SIGTERM');
    const exit = await a.exited;
    assert.equal(exit.code, 0);
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.attempts, 1);
  });

  it('exits at once on a second signal', async () => {
    const a = await worker({ WORKER_SHUTDOWN_GRACE_SECONDS: '60' });
    // Runs until released (never, here): a run that ended on its own before the second signal
    // would let the worker exit 0 after its graceful shutdown instead.
    const run = await stack.submit(fixture(LONG_MODEL), 'impatient');
    await stack.waitForPhase(run.id, 'running');
    a.kill('SIGTERM');
    await a.waitForLog('shutting down');
    const t = Date.now();
    a.kill('SIGINT');
    const exit = await a.exited;
    assert.equal(exit.code, 130);
    assert.ok(Date.now() - t < 2_000);
  });

  it('records a run once when a finished run is delivered again, without starting a container', async () => {
    await worker();
    const run = await stack.submit(fixture('score-json'), 'redelivered');
    await stack.waitForRun(run.id);
    const before = (await stack.http.get(`/v1/runs/${run.id}`)).body;
    // Deliver the same run again, as BullMQ may after a lost lock.
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const conn = new Redis(stack.redisUrl);
    const queue = new Queue('runs', { connection: conn, prefix: stack.prefix });
    const job = await queue.getJob(run.id);
    const data = job!.data;
    await job!.remove();
    const watch = await watchContainers(stack.prefix);
    await queue.add('run', data, { jobId: run.id });
    await waitFor('the second delivery to finish', async () => ((await queue.getJobState(run.id)) === 'completed' ? true : undefined));
    await watch.stop();
    await queue.close();
    conn.disconnect();
    const after = (await stack.http.get(`/v1/runs/${run.id}`)).body;
    assert.deepEqual(after, before, 'the record is unchanged');
    assert.equal(watch.idsFor(run.id).size, 0, 'no container was started for the second delivery');
    assert.deepEqual(recordFiles('redelivered'), [`${run.id}.json`]);
  });

  it('never starts a second container when another delivery records the run while this one prepares', async () => {
    const store = new RecordStore(stack.dataDir);
    const real = createDockerRunner({ deployment: stack.prefix, sandbox: { pidsLimit: 64, tmpMb: 16, logMaxBytes: 65536, outputMaxBytes: 1 << 20, stopGraceSeconds: 1 } });
    // As if another delivery of the run recorded it and removed its container just after this
    // one found no record: this delivery then creates a fresh container (nothing to adopt).
    const racing = Object.create(real) as typeof real;
    racing.prepare = async (spec, onPulled, opts) => {
      const at = new Date().toISOString();
      await store.writeRecord({ version: 1, id: spec.runId, name: spec.name, image: spec.image, status: 'succeeded', score: 0.5, limits: spec.limits, createdAt: at, finishedAt: at, attempts: 1 });
      return real.prepare(spec, onPulled, opts);
    };
    const watch = await watchContainers(stack.prefix);
    const w = await startWorker(loadWorkerConfig(stack.env), testLogger('worker'), { runner: racing });
    try {
      const run = await stack.submit(fixture('score-json'), 'raced');
      const done = await stack.waitForRun(run.id);
      assert.equal(done.score, 0.5, "the other delivery's record stands");
      await waitFor('the new container to be removed', async () => ((await containersOf(stack.prefix)).length === 0 ? true : undefined));
      await watch.stop();
      const actions = watch.eventsFor(run.id).map((e) => e.action);
      assert.ok(actions.includes('create'), `this delivery made a container: ${actions.join(' ')}`);
      assert.ok(!actions.includes('start'), `and never started it: ${actions.join(' ')}`);
    } finally {
      await w.close('test done');
    }
  });

  it('finishes a run once, recording it, when its owner record is lost under it (as in a Redis switch)', async () => {
    const watch = await watchContainers(stack.prefix);
    const w = await worker();
    const run = await stack.submit(fixture('six-seconds'), 'ownerless');
    await stack.waitForPhase(run.id, 'running');
    // A write the old primary acknowledged and a promoted replica never had: the claim is gone.
    const conn = testRedis(stack.redisUrl);
    try {
      assert.equal(await conn.del(`${stack.prefix}:own:run:${run.id}`), 1, 'the run had an owner record');
    } finally {
      conn.disconnect();
    }
    const done = await stack.waitForRun(run.id, undefined, 30_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.66);
    assert.equal(watch.idsFor(run.id).size, 1, 'one container for the run, ever: the model ran once');
    assert.ok(
      w.lines.some((l) => l.message === 'run had lost its owner record; claimed it again' && l.runId === run.id),
      'the delivery claimed the run again',
    );
  });
});
