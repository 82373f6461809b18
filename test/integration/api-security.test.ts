import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RUN_JOB, RUN_QUEUE, newRunId } from '@modelrun/contracts';
import { createLogger } from '@modelrun/logger';
import { createDocker, createDockerRunner } from '@modelrun/runner';
import { type Stack, startStack } from '../helpers/stack';
import { buildFixtures, fixture } from '../fixtures/images';

const TOKEN = 'tok-aaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_TOKEN = 'tok-bbbbbbbbbbbbbbbbbbbbbbbb';

describe('the API lets in only whom it should', function () {
  // A few model runs (allowed images, a corrupted record), with room for a loaded engine.
  this.timeout(60_000);
  let stack: Stack;
  const logged: string[] = [];

  before(async () => {
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => logged.push(d.toString()));
    stack = await startStack({
      env: {
        API_TOKENS: `${TOKEN},${OTHER_TOKEN}`,
        ALLOWED_IMAGES: 'modelrun-test/score-*,modelrun-test/probe',
        BODY_LIMIT_BYTES: '1024',
        RUN_MEMORY_MB_MAX: '2048',
      },
      apiLog: createLogger({ service: 'api', level: 'debug', format: 'json', stream }),
      workerLog: createLogger({ service: 'worker', level: 'debug', format: 'json', stream }),
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

  it('answers 401 on /v1 without a token, with a bad token, or with a malformed header', async () => {
    for (const headers of [{}, bearer('tok-wrong-wrong-wrong-wrong'), { Authorization: TOKEN }, { Authorization: `Basic ${TOKEN}` }]) {
      const res = await stack.http.get('/v1/models').set(headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.error.code, 'unauthorized');
      assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
    }
    const post = await stack.http.post('/v1/models').send({ image: fixture('score-json'), name: 'x' });
    assert.equal(post.status, 401);
  });

  it('lets either configured token in', async () => {
    assert.equal((await stack.http.get('/v1/models').set(bearer(TOKEN))).status, 200);
    assert.equal((await stack.http.get('/v1/models').set(bearer(OTHER_TOKEN))).status, 200);
  });

  it('guards the dashboard with the same tokens', async () => {
    assert.equal((await stack.http.get('/admin/queues')).status, 401);
    const page = await stack.http.get('/admin/queues').set(bearer(TOKEN));
    assert.equal(page.status, 200);
    assert.match(page.text, /<html/i);
  });

  it('keeps /healthz open', async () => {
    const res = await stack.http.get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  it('never logs a token', async () => {
    await stack.http.get('/v1/models').set(bearer(TOKEN));
    await stack.http.get('/v1/models').set(bearer('tok-not-a-real-one-at-all'));
    const all = logged.join('');
    assert.ok(all.length > 0, 'something was logged');
    assert.ok(!all.includes(TOKEN) && !all.includes('tok-not-a-real-one-at-all'), 'a token appeared in the logs');
  });

  it('sets security headers', async () => {
    const res = await stack.http.get('/healthz');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(res.headers['content-security-policy'] ?? '', /default-src 'self'/);
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.ok(res.headers['strict-transport-security']);
  });

  it('refuses an image outside ALLOWED_IMAGES with 403 and enqueues nothing', async () => {
    const res = await stack.http.post('/v1/models').set(bearer(TOKEN)).send({ image: 'evil.example/miner:latest', name: 'miner' });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'forbidden');
    assert.match(res.body.error.message, /not allowed/);
    assert.equal((await stack.http.get('/v1/models/miner').set(bearer(TOKEN))).status, 404);
  });

  it('runs an allowed image', async () => {
    const run = await stack.submit(fixture('score-json'), 'allowed');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'succeeded');
  });

  it('has the worker refuse a disallowed image that reached the queue some other way, without running it', async () => {
    const conn = new Redis(stack.redisUrl);
    const queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
    const id = newRunId();
    // no-score would fail with bad_output if it ran; the refusal is a different reason.
    await queue.add(RUN_JOB, { id, name: 'smuggled', image: fixture('no-score'), limits: { timeoutSeconds: 10, memoryMb: 64, cpus: 1, gpus: 0 }, createdAt: new Date().toISOString() }, { jobId: id });
    await queue.close();
    conn.disconnect();
    const done = await stack.waitForRun(id);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'image_not_allowed');
    assert.match(done.error!, /not allowed on this worker/);
    assert.equal(done.startedAt, undefined, 'it never started');
  });

  it('refuses unknown fields anywhere in the request with 400', async () => {
    for (const body of [
      { image: fixture('score-json'), name: 'x', hostConfig: { Privileged: true } },
      { image: fixture('score-json'), name: 'x', privileged: true },
      { image: fixture('score-json'), name: 'x', limits: { memoryMb: 64, privileged: true } },
    ]) {
      const res = await stack.http.post('/v1/models').set(bearer(TOKEN)).send(body);
      assert.equal(res.status, 400);
      assert.match(res.body.error.message, /unknown field/);
    }
  });

  it('refuses limits over a ceiling with 400 naming the ceiling', async () => {
    const res = await stack.http.post('/v1/models').set(bearer(TOKEN)).send({ image: fixture('score-json'), name: 'greedy', limits: { memoryMb: 4096 } });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /limits\.memoryMb: 4096 is over the ceiling of 2048 MiB/);
    const gpu = await stack.http.post('/v1/models').set(bearer(TOKEN)).send({ image: fixture('score-json'), name: 'gpu', limits: { gpus: 1 } });
    assert.equal(gpu.status, 400);
    assert.match(gpu.body.error.message, /GPUs are not enabled/);
  });

  it('refuses a body over the size cap with 413', async () => {
    const res = await stack.http.post('/v1/models').set(bearer(TOKEN)).send({ image: fixture('score-json'), name: 'x'.repeat(2000) });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'payload_too_large');
  });

  it('answers an internal error without a stack trace or a path', async () => {
    const run = await stack.submit(fixture('score-json'), 'to-corrupt');
    await stack.waitForRun(run.id);
    writeFileSync(join(stack.dataDir, 'runs', 'to-corrupt', `${run.id}.json`), '{"not": "a record"');
    const res = await stack.http.get(`/v1/runs/${run.id}`).set(bearer(TOKEN));
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { error: { code: 'internal', message: 'internal error' } });
    assert.ok(!res.text.includes(stack.dataDir) && !res.text.includes('    at '), res.text);
  });
});

describe('rate limiting', function () {
  let stack: Stack;
  before(async () => {
    // API_TOKENS entries are admins, who get RATE_LIMIT_PRIVILEGED_PER_MINUTE.
    stack = await startStack({ workers: 0, env: { API_TOKENS: `${TOKEN},${OTHER_TOKEN}`, RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_PRIVILEGED_PER_MINUTE: '5' } });
  });
  after(async () => {
    await stack?.stop();
  });

  it('answers 429 with Retry-After past the limit, per token', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await stack.http.get('/v1/models').set({ Authorization: `Bearer ${TOKEN}` })).status, 200);
    const res = await stack.http.get('/v1/models').set({ Authorization: `Bearer ${TOKEN}` });
    assert.equal(res.status, 429);
    assert.equal(res.body.error.code, 'rate_limited');
    const retryAfter = Number(res.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${res.headers['retry-after']}`);
    // Another caller has its own budget.
    assert.equal((await stack.http.get('/v1/models').set({ Authorization: `Bearer ${OTHER_TOKEN}` })).status, 200);
  });
});

describe('API start-up', function () {

  it('refuses to start on a non-loopback HOST without tokens, and says why', () => {
    const res = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', 'apps/api/src/main.ts'], {
      env: { ...process.env, HOST: '0.0.0.0', API_TOKENS: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, /API_TOKENS: no tokens are set, so the API serves only on a loopback HOST; HOST=0\.0\.0\.0/);
  });
});

describe('GPU runs', function () {
  // Its own fixture images: this test must pass when it runs alone.
  before(async function () {
    // Building the fixture images on first use in this test process: a few seconds, more on a cold engine.
    this.timeout(60_000);
    await buildFixtures();
  });

  it('creates the container with an NVIDIA device request for its own device ids when limits.gpus is set', async () => {
    const runner = createDockerRunner({
      deployment: `tgpu${Date.now()}`,
      sandbox: { pidsLimit: 64, tmpMb: 16, logMaxBytes: 65536, outputMaxBytes: 1 << 20, stopGraceSeconds: 1 },
    });
    const handle = await runner.prepare({ runId: newRunId(), name: 'gpu-model', image: fixture('score-json'), limits: { timeoutSeconds: 10, memoryMb: 64, cpus: 1, gpus: 2 }, gpuDevices: ['2', '3'] });
    try {
      const info = await createDocker().getContainer(handle.id).inspect();
      assert.deepEqual(
        info.HostConfig.DeviceRequests?.map((d) => ({ Driver: d.Driver, Count: d.Count, DeviceIDs: d.DeviceIDs, Capabilities: d.Capabilities })),
        [{ Driver: 'nvidia', Count: 0, DeviceIDs: ['2', '3'], Capabilities: [['gpu']] }],
      );
    } finally {
      await runner.remove(handle);
    }
  });
});
