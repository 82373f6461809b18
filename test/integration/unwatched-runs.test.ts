import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS, RunRecord, type RunView } from '@modelrun/contracts';
import { containersOf, docker } from '../helpers/docker';
import { watchContainers } from '../helpers/container-watch';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

// Short locks and stall checks so a dead worker's run is noticed in seconds, not minutes.
const FAST_STALLS = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_SHUTDOWN_GRACE_SECONDS: '1' };

/**
 * The guarantees for runs whose worker is gone: a deadline still holds with nobody watching,
 * an adopted run is held to its limit, and a run cannot lose workers forever.
 */
describe('runs that lose their worker', function () {
  // Each test kills workers (real processes) and waits for BullMQ to notice, a few seconds each.
  this.timeout(120_000);
  let stack: Stack;
  const procs: AppProcess[] = [];

  const worker = async (extra: Record<string, string> = {}): Promise<AppProcess> => {
    const p = spawnApp('worker', { ...stack.env, ...extra });
    procs.push(p);
    await p.waitForLog('worker started');
    return p;
  };
  const kill9 = async (p: AppProcess): Promise<void> => {
    p.kill('SIGKILL');
    await p.exited;
  };
  /** Resolves once `p` has the run's container running (its own or adopted). */
  const running = (p: AppProcess, runId: string): Promise<unknown> =>
    waitFor(`run ${runId} to be running on worker ${p.child.pid}`, () => p.lines.find((l) => l.message === 'container running' && l.runId === runId), 30_000);
  const recordOf = (run: RunView): RunRecord => RunRecord.parse(JSON.parse(readFileSync(join(stack.dataDir, 'runs', run.name, `${run.id}.json`), 'utf8')));

  beforeEach(async () => {
    stack = await startStack({ workers: 0, env: FAST_STALLS });
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await kill9(p);
    await stack?.stop();
  });

  it('has the reconciler stop a container past its deadline while no worker watches it; the adopter records a timeout', async () => {
    const watch = await watchContainers(stack.prefix);
    const env = { WORKER_CONCURRENCY: '1', WORKER_RECONCILE_SECONDS: '1', WORKER_RECONCILE_GRACE_SECONDS: '2' };
    const workers = await Promise.all([worker(env), worker(env)]);
    // One worker is kept busy by a long run, so the orphan will wait in the queue unwatched.
    const blocker = await stack.submit(fixture('two-minutes'), 'blocker');
    // One poll over both workers: a race of one poll per worker would leave the loser polling for 30 s after the test.
    const busy = await waitFor(`run ${blocker.id} to be running on either worker`, () => workers.find((w) => w.lines.some((l) => l.message === 'container running' && l.runId === blocker.id)), 30_000);
    const a = workers.find((w) => w !== busy)!;
    const orphan = await stack.submit(fixture('slow'), 'unwatched', { timeoutSeconds: 4 });
    await running(a, orphan.id);
    await kill9(a);
    const b = busy;

    const stopping = await waitFor(
      'the reconciler to stop the orphan',
      () => b.lines.find((l) => l.message === 'stopped a container running past its deadline with no worker watching' && l.runId === orphan.id),
      30_000,
    );
    assert.ok(!b.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === orphan.id), 'no worker had adopted it yet');
    assert.ok(Number(stopping.ageSeconds) >= 4 + 2, `stopped at ${String(stopping.ageSeconds)} s, after its 4 s limit and 2 s of grace`);
    const [orphanContainer] = (await containersOf(stack.prefix)).filter((c) => c.Labels[LABELS.runId] === orphan.id);
    // SIGTERM, then SIGKILL after RUN_STOP_GRACE_SECONDS (1 s); 10 s for a loaded engine.
    await waitFor('the orphan container to stop', async () => ((await (await docker()).getContainer(orphanContainer!.Id).inspect()).State.Running ? undefined : true), 10_000);
    assert.equal(watch.idsFor(orphan.id).size, 1);

    // Free the busy worker: it adopts the stopped container and records what happened.
    assert.equal((await stack.http.delete(`/v1/runs/${blocker.id}`)).status, 202);
    const done = await stack.waitForRun(orphan.id, undefined, 30_000);
    await watch.stop();
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.equal(done.reason, 'timeout', JSON.stringify(done));
    assert.ok(
      b.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === orphan.id),
      'the busy worker adopted it',
    );
    assert.equal(recordOf(orphan).reason, 'timeout');
    assert.equal(watch.idsFor(orphan.id).size, 1, 'one container for the run, ever');
  });

  it('fails a run with reason infrastructure once it has lost its worker more than WORKER_MAX_STALLED times', async () => {
    const watch = await watchContainers(stack.prefix);
    const env = { WORKER_MAX_STALLED: '2' };
    let w = await worker(env);
    const run = await stack.submit(fixture('two-minutes'), 'unlucky', { timeoutSeconds: 300 });
    await running(w, run.id);
    // Lost twice: each time the next worker adopts the container and the run goes on.
    for (let lost = 1; lost <= 2; lost++) {
      await kill9(w);
      w = await worker(env);
      await running(w, run.id);
      assert.ok(
        w.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id),
        `adopted after loss ${lost}`,
      );
      assert.equal((await stack.http.get(`/v1/runs/${run.id}`)).body.status, 'running');
    }
    // The third loss is one too many.
    await kill9(w);
    const last = await worker(env);
    const done = await stack.waitForRun(run.id, undefined, 30_000);
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.equal(done.reason, 'infrastructure', JSON.stringify(done));
    const record = await waitFor('the run to be recorded', () => {
      try {
        return recordOf(run);
      } catch {
        return undefined;
      }
    });
    assert.equal(record.reason, 'infrastructure');
    assert.match(record.error ?? '', /stalled more than allowable limit/);
    assert.ok(!last.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id), 'the last worker did not run it again');
    // Nothing will come back for its container: it goes with the record.
    await waitFor('its container to be removed', async () => ((await containersOf(stack.prefix)).length === 0 ? true : undefined), 15_000);
    await watch.stop();
    assert.equal(watch.idsFor(run.id).size, 1, 'one container for the run, ever');
  });

  it('records an adopted container that runs past its limit as a timeout', async () => {
    const watch = await watchContainers(stack.prefix);
    const a = await worker();
    const run = await stack.submit(fixture('slow'), 'adopted-late', { timeoutSeconds: 5 });
    await running(a, run.id);
    await kill9(a);
    const b = await worker();
    const done = await stack.waitForRun(run.id, undefined, 40_000);
    await watch.stop();
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.equal(done.reason, 'timeout', JSON.stringify(done));
    assert.match(done.error ?? '', /time limit of 5 s/);
    assert.ok(
      b.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id),
      'the second worker adopted it',
    );
    assert.ok(!b.lines.some((l) => l.message === 'stopped a container running past its deadline with no worker watching'), 'the adopter, not the reconciler, stopped it');
    assert.equal(recordOf(run).reason, 'timeout');
    // The model was stopped, not allowed to finish its 30 s of work.
    assert.ok(done.durationMs !== undefined && done.durationMs < 29_000, `ran ${done.durationMs} ms`);
    assert.equal(watch.idsFor(run.id).size, 1, 'one container for the run, ever');
  });
});
