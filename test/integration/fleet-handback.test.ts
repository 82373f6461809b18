import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProxy } from '../helpers/docker-proxy';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { LONG_MODEL, TwoHosts, buildLongModel, loggedAbout, release, workerCounter } from '../helpers/two-hosts';
import { fixture } from '../fixtures/images';

// Short locks and stall checks so a dead or frozen worker's run is noticed in seconds.
const FAST_STALLS = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_MAX_STALLED: '10', WORKER_SHUTDOWN_GRACE_SECONDS: '1' };
const HANDED_BACK = 'run is owned by another host whose lease is alive; handed back to the queue';

/**
 * Two hosts (two engines) on one queue: a run that leaves its worker on host a (deploy, kill -9,
 * a frozen worker) and is picked up by a worker on host b goes back to host a while a's lease
 * is alive, and is never started on b. The engines' event streams prove one container at a time.
 */
describe('two hosts: a run stays with its host while the host lives', function () {
  // A second engine boots (1-5 s), images are copied into it, and each test's model runs until the test releases it.
  this.timeout(180_000);
  let stack: Stack;
  let hosts: TwoHosts;

  beforeEach(async () => {
    stack = await startStack({ workers: 0, env: FAST_STALLS });
    await buildLongModel();
    hosts = await TwoHosts.start(stack, [fixture(LONG_MODEL)]);
  });
  afterEach(async () => {
    await hosts?.stop();
    await stack?.stop();
  });

  const recordFiles = (name: string): string[] => readdirSync(join(stack.dataDir, 'runs', name));

  it('SIGTERM (a deploy): the other host hands the run back; the restarted worker on its host adopts the container', async () => {
    const watch = await hosts.watch();
    const a1 = await hosts.worker('a');
    const run = await stack.submit(fixture(LONG_MODEL), 'deployed');
    await stack.waitForPhase(run.id, 'running', 30_000);
    const b1 = await hosts.worker('b');
    a1.kill('SIGTERM');
    assert.equal((await a1.exited).code, 0);
    await loggedAbout(b1, HANDED_BACK, run.id);
    const a2 = await hosts.worker('a');
    await release(hosts.a, stack.prefix, run.id);
    const done = await stack.waitForRun(run.id, undefined, 90_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.attempts, 1);
    assert.equal(done.attemptErrors, undefined);
    assert.equal(watch.maxAtOnce(run.id, 'exists'), 1, 'never two containers of the run at once, on either engine');
    assert.deepEqual([...watch.idsFor(run.id)].map((id) => id.split(':')[0]), ['a'], 'one container, on host a');
    assert.ok(a2.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id), 'the new worker on host a adopted it');
    assert.ok(!b1.lines.some((l) => l.message === 'preparing container' && l.runId === run.id), 'host b never prepared a container');
    assert.deepEqual(recordFiles('deployed'), [`${run.id}.json`]);
    assert.ok((await workerCounter(b1, 'modelrun_run_owner_handbacks_total')) >= 1, 'host b counted its hand-backs');
  });

  it('kill -9: the other host hands the run back until a worker on its host takes it, and only one container ever exists', async () => {
    const watch = await hosts.watch();
    const a1 = await hosts.worker('a');
    const run = await stack.submit(fixture(LONG_MODEL), 'killed');
    await stack.waitForPhase(run.id, 'running', 30_000);
    const b1 = await hosts.worker('b');
    a1.kill('SIGKILL');
    await a1.exited;
    // The lock lapses (2 s), the run is redelivered to b, which hands it back: a's lease lives on.
    await loggedAbout(b1, HANDED_BACK, run.id);
    const a2 = await hosts.worker('a');
    await release(hosts.a, stack.prefix, run.id);
    const done = await stack.waitForRun(run.id, undefined, 90_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.2);
    assert.equal(watch.maxAtOnce(run.id, 'exists'), 1);
    assert.deepEqual([...watch.idsFor(run.id)].map((id) => id.split(':')[0]), ['a']);
    assert.ok(a2.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id));
    assert.deepEqual(recordFiles('killed'), [`${run.id}.json`]);
  });

  it('a stalled lock (a frozen worker): the redelivered run is handed back by host b, and the thawed worker finishes it in its one container', async () => {
    const watch = await hosts.watch();
    const a1 = await hosts.worker('a');
    const run = await stack.submit(fixture(LONG_MODEL), 'frozen');
    await stack.waitForPhase(run.id, 'running', 30_000);
    const b1 = await hosts.worker('b');
    a1.kill('SIGSTOP');
    try {
      await loggedAbout(b1, HANDED_BACK, run.id);
    } finally {
      a1.kill('SIGCONT');
    }
    await release(hosts.a, stack.prefix, run.id);
    const done = await stack.waitForRun(run.id, undefined, 90_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(watch.maxAtOnce(run.id, 'exists'), 1);
    assert.deepEqual([...watch.idsFor(run.id)].map((id) => id.split(':')[0]), ['a']);
    assert.ok(!b1.lines.some((l) => l.message === 'preparing container' && l.runId === run.id), 'host b never prepared a container');
    assert.deepEqual(recordFiles('frozen'), [`${run.id}.json`]);
  });

  it('a retry (its engine unreachable mid-run): the retried run is handed back by host b and adopted on host a once its engine answers', async () => {
    const proxy = new DockerProxy();
    await proxy.up();
    try {
      const watch = await hosts.watch();
      const a1 = await hosts.worker('a', { DOCKER_HOST: proxy.dockerHost });
      const run = await stack.submit(fixture(LONG_MODEL), 'retried');
      await stack.waitForPhase(run.id, 'running', 30_000);
      const b1 = await hosts.worker('b');
      await proxy.down();
      // Host a, having found its engine gone, takes no runs: the retry can only go to host b.
      // Its next check on the container (every 2 s) rides out 1.5 s first: a few seconds, given room for a loaded machine.
      await waitFor('host a to stop taking runs', () => a1.lines.find((l) => l.message === 'the Docker engine is unreachable: taking no new runs until it answers'), 30_000);
      await loggedAbout(b1, HANDED_BACK, run.id);
      await proxy.up();
      await release(hosts.a, stack.prefix, run.id);
      const done = await stack.waitForRun(run.id, undefined, 90_000);
      await watch.stop();
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.ok((done.attempts ?? 0) >= 2 && (done.attemptErrors?.length ?? 0) >= 1, JSON.stringify(done));
      assert.equal(watch.maxAtOnce(run.id, 'exists'), 1);
      assert.deepEqual([...watch.idsFor(run.id)].map((id) => id.split(':')[0]), ['a']);
      assert.ok(a1.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id), 'the retry adopted the container on host a');
      assert.ok(!b1.lines.some((l) => l.message === 'preparing container' && l.runId === run.id), 'host b never prepared a container');
    } finally {
      await proxy.dispose();
    }
  });
});
