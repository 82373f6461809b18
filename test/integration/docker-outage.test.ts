import assert from 'node:assert/strict';
import { watchContainers } from '../helpers/container-watch';
import { DockerProxy } from '../helpers/docker-proxy';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

describe('the Docker engine becoming unreachable', function () {
  // Retries back off 1 s, then 2 s (with jitter): a few runs through that take ~20 s in all.
  this.timeout(60_000);
  let proxy: DockerProxy;
  let stack: Stack;

  beforeEach(async () => {
    proxy = new DockerProxy();
    await proxy.up();
    stack = await startStack({ workers: 0, env: { RUN_ATTEMPTS: '3', RUN_BACKOFF_MS: '1000' } });
    await stack.startWorker({ DOCKER_HOST: proxy.dockerHost });
  });
  afterEach(async () => {
    await proxy.up();
    await stack?.stop();
    await proxy.dispose();
  });

  it('retries the run as an infrastructure fault and succeeds once the engine is back', async () => {
    await proxy.down();
    const run = await stack.submit(fixture('score-json'), 'patient');
    // The first attempt fails on the engine; the API shows it queued for a retry, with the error.
    // (The error is kept a moment before the job leaves its worker: wait for both.)
    const retrying = await waitFor('the first attempt to fail and the run to wait for its retry', async () => {
      const res = await stack.http.get(`/v1/runs/${run.id}`);
      return res.body.attemptErrors?.length && res.body.status === 'queued' ? res.body : undefined;
    });
    assert.match(retrying.attemptErrors[0].message, /^docker: .*(ENOENT|ECONNREFUSED)/);
    await proxy.up();
    const done = await stack.waitForRun(run.id, undefined, 30_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.ok(done.attempts! >= 2);
    assert.ok(done.attemptErrors!.length >= 1, 'each failed attempt is kept on the run');
  });

  it('fails the run with reason infrastructure after its attempts, keeping every attempt\'s error', async () => {
    await proxy.down();
    const run = await stack.submit(fixture('score-json'), 'abandoned');
    const done = await stack.waitForRun(run.id, undefined, 30_000);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'infrastructure', JSON.stringify(done));
    assert.match(done.error!, /after 3 attempts: docker: /);
    assert.equal(done.attempts, 3, 'three tries, not one more');
    assert.equal(done.attemptErrors!.length, 3);
    assert.deepEqual(done.attemptErrors!.map((e) => e.attempt), [1, 2, 3]);
  });

  it('rides out a short blip in the engine connection mid-run without a retry', async () => {
    const run = await stack.submit(fixture('short-sleep'), 'blip');
    const running = await waitFor('the run to be running', async () => {
      const body = (await stack.http.get(`/v1/runs/${run.id}`)).body;
      return body.phase === 'running' && body.startedAt ? body : undefined;
    });
    // The worker checks on a waiting container 2 s after it starts, and every 2 s after: aim a
    // 0.7 s outage at that first check, which must ride it out (it tries for 1.5 s) rather than
    // fail the attempt. The 3 s model is still running when the engine comes back.
    const firstCheck = Date.parse(running.startedAt) + 2_000;
    await new Promise((r) => setTimeout(r, Math.max(0, firstCheck - 400 - Date.now())));
    await proxy.down();
    await new Promise((r) => setTimeout(r, 700));
    await proxy.up();
    const done = await stack.waitForRun(run.id, undefined, 30_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.61);
    assert.equal(done.attempts, 1, `the blip cost an attempt: ${JSON.stringify(done.attemptErrors)}`);
    assert.equal(done.attemptErrors, undefined);
  });

  it('retries and adopts the container when the engine is gone for longer mid-run', async () => {
    const watch = await watchContainers(stack.prefix);
    const run = await stack.submit(fixture('short-sleep'), 'outage');
    await waitFor('the run to be running', async () => ((await stack.http.get(`/v1/runs/${run.id}`)).body.phase === 'running' ? true : undefined));
    await proxy.down();
    // Longer than the worker's 2 s check on a waiting container: the attempt fails.
    await waitFor('the attempt to fail', async () => ((await stack.http.get(`/v1/runs/${run.id}`)).body.attemptErrors?.length ? true : undefined), 10_000);
    await proxy.up();
    const done = await stack.waitForRun(run.id, undefined, 30_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    await watch.stop();
    assert.equal(watch.idsFor(run.id).size, 1, 'the retry adopted the same container');
    assert.equal(done.attempts, 2);
    assert.equal(done.attemptErrors?.length, 1);
  });
});
