import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunView } from '@modelrun/contracts';
import { DockerProxy } from '../helpers/docker-proxy';
import type { AppProcess } from '../helpers/processes';
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

  interface Leaving {
    /** Host a's worker, running the run. */
    a1: AppProcess;
    /** Host b's worker, started once the run runs. */
    b1: AppProcess;
    runId: string;
  }

  /**
   * What every test here shares: a run starts on host a; `leave` makes it leave its worker there
   * and waits until host b has handed it back; then the model is let finish. The run must succeed
   * in its one container, on host a, which host b never prepared, with one record. `leave`
   * returns the worker on host a that must adopt the container (none when a1 just goes on).
   */
  async function handedBackToItsHost(name: string, leave: (ctx: Leaving) => Promise<AppProcess | undefined>, aEnv: Record<string, string> = {}): Promise<{ done: RunView; b1: AppProcess }> {
    const watch = await hosts.watch();
    const a1 = await hosts.worker('a', aEnv);
    const run = await stack.submit(fixture(LONG_MODEL), name);
    await stack.waitForPhase(run.id, 'running', 30_000);
    const b1 = await hosts.worker('b');
    const adopter = await leave({ a1, b1, runId: run.id });
    await release(hosts.a, stack.prefix, run.id);
    const done = await stack.waitForRun(run.id, undefined, 90_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(watch.maxAtOnce(run.id, 'exists'), 1, 'never two containers of the run at once, on either engine');
    assert.deepEqual(
      [...watch.idsFor(run.id)].map((id) => id.split(':')[0]),
      ['a'],
      'one container, on host a',
    );
    if (adopter)
      assert.ok(
        adopter.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id),
        'the worker on host a adopted it',
      );
    assert.ok(!b1.lines.some((l) => l.message === 'preparing container' && l.runId === run.id), 'host b never prepared a container');
    assert.deepEqual(recordFiles(name), [`${run.id}.json`]);
    return { done, b1 };
  }

  it('SIGTERM (a deploy): the other host hands the run back; the restarted worker on its host adopts the container', async () => {
    const { done, b1 } = await handedBackToItsHost('deployed', async ({ a1, b1, runId }) => {
      a1.kill('SIGTERM');
      assert.equal((await a1.exited).code, 0);
      await loggedAbout(b1, HANDED_BACK, runId);
      return hosts.worker('a');
    });
    assert.equal(done.attempts, 1);
    assert.equal(done.attemptErrors, undefined);
    assert.ok((await workerCounter(b1, 'modelrun_run_owner_handbacks_total')) >= 1, 'host b counted its hand-backs');
  });

  it('kill -9: the other host hands the run back until a worker on its host takes it, and only one container ever exists', async () => {
    const { done } = await handedBackToItsHost('killed', async ({ a1, b1, runId }) => {
      a1.kill('SIGKILL');
      await a1.exited;
      // The lock lapses (2 s), the run is redelivered to b, which hands it back: a's lease lives on.
      await loggedAbout(b1, HANDED_BACK, runId);
      return hosts.worker('a');
    });
    assert.equal(done.score, 0.2);
  });

  it('a stalled lock (a frozen worker): the redelivered run is handed back by host b, and the thawed worker finishes it in its one container', async () => {
    await handedBackToItsHost('frozen', async ({ a1, b1, runId }) => {
      a1.kill('SIGSTOP');
      try {
        await loggedAbout(b1, HANDED_BACK, runId);
      } finally {
        a1.kill('SIGCONT');
      }
      return undefined;
    });
  });

  it('a retry (its engine unreachable mid-run): the retried run is handed back by host b and adopted on host a once its engine answers', async () => {
    const proxy = new DockerProxy();
    await proxy.up();
    try {
      const { done } = await handedBackToItsHost(
        'retried',
        async ({ a1, b1, runId }) => {
          await proxy.down();
          // Host a, having found its engine gone, takes no runs: the retry can only go to host b.
          // Its next check on the container (every 2 s) rides out 1.5 s first: a few seconds, given room for a loaded machine.
          await waitFor('host a to stop taking runs', () => a1.lines.find((l) => l.message === 'the Docker engine is unreachable: taking no new runs until it answers'), 30_000);
          await loggedAbout(b1, HANDED_BACK, runId);
          await proxy.up();
          // The same worker retries the run and adopts its container.
          return a1;
        },
        { DOCKER_HOST: proxy.dockerHost },
      );
      assert.ok((done.attempts ?? 0) >= 2 && (done.attemptErrors?.length ?? 0) >= 1, JSON.stringify(done));
    } finally {
      await proxy.dispose();
    }
  });
});
