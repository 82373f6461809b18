import assert from 'node:assert/strict';
import { watchContainers } from '../helpers/container-watch';
import { containersOf } from '../helpers/docker';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

describe('DELETE /v1/runs/{id}', function () {
  // Cancelling a running 30 s model takes a cancel poll and a stop grace; room for a loaded engine.
  this.timeout(60_000);
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack({ workers: 0 });
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('cancels a queued run, which then never starts', async () => {
    const watch = await watchContainers(stack.prefix);
    const run = await stack.submit(fixture('score-json'), 'never-started');
    const res = await stack.http.delete(`/v1/runs/${run.id}`);
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'cancelled');
    assert.equal(res.body.reason, 'cancelled');
    assert.equal((await stack.http.get(`/v1/runs/${run.id}`)).body.status, 'cancelled', 'shown cancelled at once, before any worker saw it');
    await stack.startWorker();
    // The worker records the cancel when it reaches the run; then the job is gone from the queue.
    const recorded = await waitFor('the cancel to be recorded', async () => {
      const r = (await stack.http.get(`/v1/runs/${run.id}`)).body;
      return r.error === 'the run was cancelled before it started' ? r : undefined;
    });
    await watch.stop();
    assert.equal(recorded.reason, 'cancelled');
    assert.equal(recorded.startedAt, undefined);
    assert.equal(watch.idsFor(run.id).size, 0, 'no container was ever created');
    const again = await stack.http.delete(`/v1/runs/${run.id}`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'conflict');
  });

  it('cancels a running run: its container is stopped and removed, and the run ends cancelled', async () => {
    await stack.startWorker();
    const run = await stack.submit(fixture('slow'), 'stopped-early');
    await waitFor('the run to be running', async () => ((await stack.http.get(`/v1/runs/${run.id}`)).body.phase === 'running' ? true : undefined), 30_000);
    const asked = Date.now();
    assert.equal((await stack.http.delete(`/v1/runs/${run.id}`)).status, 202);
    const done = await waitFor(
      'the cancelled record',
      async () => {
        const r = (await stack.http.get(`/v1/runs/${run.id}`)).body;
        return r.status === 'cancelled' && r.startedAt ? r : undefined;
      },
      15_000,
    );
    assert.equal(done.reason, 'cancelled');
    // 1 s cancel poll + 1 s stop grace (RUN_STOP_GRACE_SECONDS in the test stack) + slack.
    assert.ok(Date.now() - asked < 8_000, `took ${Date.now() - asked} ms`);
    assert.ok(Date.parse(done.finishedAt) - Date.parse(done.startedAt) < 15_000, 'it did not run its full 30 s');
    await waitFor('the container to be removed', async () => ((await containersOf(stack.prefix)).length === 0 ? true : undefined));
    const logs = await stack.http.get(`/v1/runs/${run.id}/logs`);
    assert.match(logs.text, /step 0/, 'its output up to the cancel is kept');
  });

  it('answers 409 for a finished run and 404 for an unknown one', async () => {
    await stack.startWorker();
    const run = await stack.submit(fixture('score-json'), 'already-done');
    await stack.waitForRun(run.id);
    const res = await stack.http.delete(`/v1/runs/${run.id}`);
    assert.equal(res.status, 409);
    assert.match(res.body.error.message, /already ended \(succeeded\)/);
    assert.equal((await stack.http.delete('/v1/runs/01900000-0000-7000-8000-000000000000')).status, 404);
  });
});
