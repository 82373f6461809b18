import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import supertest from 'supertest';
import { type StartedApi, startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { RUN_JOB, RUN_QUEUE, newRunId } from '@modelrun/contracts';
import { createLogger } from '@modelrun/logger';
import { createDocker, createDockerRunner } from '@modelrun/runner';
import { PendingOutcomes, RunControl } from '@modelrun/run-control';
import { type Stack, startStack } from '../helpers/stack';
import { buildFixtures, fixture } from '../fixtures/images';
import { testLogger } from '../helpers/logger';
import { waitFor } from '../helpers/wait';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { mb, sampleRss } from '../helpers/rss';

const TOKEN = 'tok-Ae7Xq2Wm9Lr4Zt6Nc1Vb8Ky';
const OTHER_TOKEN = 'tok-Bf3Hs8Pd1Qj5Gx0Mw7Ue2Rn';

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
    const res = await stack.http
      .post('/v1/models')
      .set(bearer(TOKEN))
      .send({ image: fixture('score-json'), name: 'greedy', limits: { memoryMb: 4096 } });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /limits\.memoryMb: 4096 is over the ceiling of 2048 MiB/);
    const gpu = await stack.http
      .post('/v1/models')
      .set(bearer(TOKEN))
      .send({ image: fixture('score-json'), name: 'gpu', limits: { gpus: 1 } });
    assert.equal(gpu.status, 400);
    assert.match(gpu.body.error.message, /GPUs are not enabled/);
  });

  it('refuses a body over the size cap with 413', async () => {
    const res = await stack.http
      .post('/v1/models')
      .set(bearer(TOKEN))
      .send({ image: fixture('score-json'), name: 'x'.repeat(2000) });
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

describe('hostile callers (issue 22)', function () {
  // API-only stacks (no worker, no container): a few seconds each.
  this.timeout(30_000);
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
  const LIMIT = 5;

  describe('guessing tokens', () => {
    let stack: Stack;
    let replica: StartedApi | undefined;
    beforeEach(async () => {
      stack = await startStack({ workers: 0, env: { API_TOKENS: TOKEN, AUTH_FAILURE_LIMIT: String(LIMIT), RATE_LIMIT_PER_MINUTE: '1000' } });
    });
    afterEach(async () => {
      await replica?.close('test done');
      replica = undefined;
      await stack?.stop();
    });

    it('answers 429 to an address past AUTH_FAILURE_LIMIT wrong tokens, to the right token too, on every API replica', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 50; i++) statuses.push((await stack.http.get('/v1/models').set(bearer(`tok-guess-${i}-Xq2Wm9Lr4Zt6Nc1V`))).status);
      assert.deepEqual(statuses.slice(0, LIMIT), Array(LIMIT).fill(401), statuses.join(' '));
      const first429 = statuses.indexOf(429);
      // A failure is counted as its 401 is sent: the next guess may slip in before the count lands.
      assert.ok(first429 >= LIMIT && first429 <= LIMIT + 2, statuses.join(' '));
      assert.ok(
        statuses.slice(first429).every((s) => s === 429),
        statuses.join(' '),
      );

      const right = await stack.http.get('/v1/models').set(bearer(TOKEN));
      assert.equal(right.status, 429, 'a right token from a guessing address is refused like a wrong one');
      assert.equal(right.body.error.code, 'rate_limited');
      const retryAfter = Number(right.headers['retry-after']);
      assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After: ${right.headers['retry-after']}`);
      assert.equal((await stack.http.post('/v1/session').send({ token: TOKEN })).status, 429, 'sign-in is closed to it as well');

      // Another replica of the same deployment knows the address already (the count is in Redis).
      replica = await startApi(loadApiConfig(stack.env), testLogger('api'));
      assert.equal((await supertest(replica.url).get('/v1/models').set(bearer(TOKEN))).status, 429);
    });

    it('counts wrong tokens at sign-in, and never a request that presents no credential', async () => {
      for (let i = 0; i < 3 * LIMIT; i++) assert.equal((await stack.http.get('/v1/models')).status, 401, 'no credential: not a guess');
      assert.equal((await stack.http.get('/v1/models').set(bearer(TOKEN))).status, 200);
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await stack.http.post('/v1/session').send({ token: `tok-guess-${i}-Xq2Wm9Lr4Zt6Nc1V` })).status);
      assert.deepEqual(statuses.slice(0, LIMIT), Array(LIMIT).fill(401), statuses.join(' '));
      assert.equal(statuses.at(-1), 429, statuses.join(' '));
      assert.equal((await stack.http.get('/v1/models').set(bearer(TOKEN))).status, 429, 'the API is closed to the address too');
    });
  });

  describe('DNS rebinding, when the API runs without tokens', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ workers: 0 });
    });
    after(async () => {
      await stack?.stop();
    });
    const port = () => new URL(stack.api.url).port;

    it('refuses with 403 a request addressed to any other host name, on every route, and creates no run', async () => {
      const id = newRunId();
      for (const host of [
        'evil.example',
        `evil.example:${port()}`,
        `127.0.0.1.nip.io:${port()}`,
        `localhost.evil.example:${port()}`,
        `[::ffff:127.0.0.1]:${port()}`,
        `evil.example@127.0.0.1:${port()}`,
      ]) {
        for (const req of [
          stack.http.post('/v1/models').send({ image: 'modelrun-test/score-json', name: 'rebound' }),
          stack.http.get('/v1/models'),
          stack.http.get(`/v1/runs/${id}/logs`),
          stack.http.delete(`/v1/runs/${id}`),
          stack.http.get('/admin/queues'),
          stack.http.get('/'),
        ]) {
          const res = await req.set('Host', host);
          assert.equal(res.status, 403, `${host} ${res.status} ${res.text}`);
          assert.equal(res.body.error.code, 'forbidden');
          assert.match(res.body.error.message, /DNS rebinding/);
        }
      }
      const models = await stack.http.get('/v1/models');
      assert.equal(models.status, 200);
      assert.equal(models.body.total, 0, 'no run was created');
    });

    it('answers requests addressed to localhost, its subdomains, 127.0.0.0/8 and [::1], on any port', async () => {
      for (const host of [`127.0.0.1:${port()}`, '127.0.0.1', `localhost:${port()}`, 'LOCALHOST', 'localhost.', `app.localhost:${port()}`, '127.3.2.1:9', '[::1]', `[::1]:${port()}`, '2130706433']) {
        const res = await stack.http.get('/v1/models').set('Host', host);
        assert.equal(res.status, 200, `${host}: ${res.text}`);
      }
    });
  });

  describe('/readyz without a token', () => {
    const logged: string[] = [];
    let stack: Stack;
    before(async () => {
      const stream = new PassThrough();
      stream.on('data', (d: Buffer) => logged.push(d.toString()));
      stack = await startStack({ workers: 0, env: { API_TOKENS: TOKEN }, apiLog: createLogger({ service: 'api', level: 'info', format: 'json', stream }) });
    });
    after(async () => {
      await stack?.stop();
    });

    it('says which check failed and its code, never the error text (paths, run ids, workers), and logs the text', async () => {
      const runId = newRunId();
      const worker = `worker-h3-${runId.slice(-6)}`;
      const redis = new Redis(stack.redisUrl, { lazyConnect: false });
      const pending = new PendingOutcomes(redis, stack.prefix);
      await pending.reportVolumeFault(worker, { error: `EROFS: read-only file system, open '${stack.dataDir}/tmp/${runId}.json.123.tmp'`, since: new Date().toISOString() });
      renameSync(stack.dataDir, `${stack.dataDir}.away`);
      try {
        const res = await stack.http.get('/readyz');
        assert.equal(res.status, 503);
        for (const secret of [stack.dataDir, runId, worker, 'read-only file system']) assert.ok(!res.text.includes(secret), `/readyz shows ${secret}: ${res.text}`);
        assert.deepEqual(res.body.checks.volume, { ok: false, code: 'ENOENT' });
        assert.deepEqual(res.body.checks.recording, { ok: false, code: 'volume_refuses_records' });
        assert.deepEqual(res.body.checks.redis, { ok: true });
        await waitFor('the details in the log', async () => (logged.some((l) => l.includes(worker) && l.includes('not ready')) ? true : undefined), 5_000);
      } finally {
        // While it was away the API may have made DATA_DIR again (its index snapshot's folder): only that goes.
        rmSync(stack.dataDir, { recursive: true, force: true });
        renameSync(`${stack.dataDir}.away`, stack.dataDir);
        await pending.reportVolumeFault(worker, undefined);
        redis.disconnect();
      }
      assert.equal((await stack.http.get('/readyz')).status, 200);
    });
  });
});

describe('following logs, attacked by its callers', function () {
  // An API process started from source (tsx), then 15 s of a chatty run's output against it.
  this.timeout(120_000);
  let stack: Stack;
  let api: AppProcess;
  let url: URL;
  let conn: Redis;

  before(async () => {
    stack = await startStack({ workers: 0, api: false, env: { API_TOKENS: `${TOKEN},${OTHER_TOKEN}` } });
    // A process of its own, so its RSS is the API's alone.
    api = spawnApp('api', { ...stack.env, LOG_LEVEL: 'info' });
    url = new URL(String((await api.waitForLog('api listening')).url));
    conn = new Redis(stack.redisUrl);
  });
  after(async () => {
    conn?.disconnect();
    api?.kill('SIGKILL');
    await api?.exited;
    await stack?.stop();
  });

  /** A run that waits in the queue (no worker here) and so can be followed for as long as a test likes. */
  const queuedRun = async (): Promise<string> => {
    const queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
    const id = newRunId();
    await queue.add(
      RUN_JOB,
      { id, name: 'followed', image: fixture('score-json'), limits: { timeoutSeconds: 10, memoryMb: 64, cpus: 1, gpus: 0 }, createdAt: new Date().toISOString() },
      { jobId: id },
    );
    await queue.close();
    return id;
  };
  /** GET .../logs?follow=true, resolved once the answer's head is in. */
  const follow = (id: string, token: string): Promise<{ req: ClientRequest; res: IncomingMessage }> =>
    new Promise((resolve, reject) => {
      const req = request(new URL(`/v1/runs/${id}/logs?follow=true`, url), { headers: { Authorization: `Bearer ${token}` } }, (res) => resolve({ req, res }));
      req.on('error', reject);
      req.end();
    });
  const body = (res: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    });

  it('answers 429 to a caller who follows more runs than one caller may, while another caller still can', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(() => queuedRun()));
    const open: ClientRequest[] = [];
    try {
      for (const id of ids.slice(0, 4)) {
        const { req, res } = await follow(id, TOKEN);
        open.push(req);
        assert.equal(res.statusCode, 200);
      }
      const refused = await follow(ids[4]!, TOKEN);
      open.push(refused.req);
      assert.equal(refused.res.statusCode, 429);
      assert.ok(refused.res.headers['retry-after'], 'with Retry-After');
      const error = JSON.parse(await body(refused.res)).error;
      assert.equal(error.code, 'rate_limited');
      assert.match(error.message, /already follow the logs of 4 runs, the most one caller may at once/);
      const other = await follow(ids[5]!, OTHER_TOKEN);
      open.push(other.req);
      assert.equal(other.res.statusCode, 200, 'another caller is not held up');
      // Stopping one gives the caller its slot back.
      open[0]!.destroy();
      await waitFor(
        'the slot to come back',
        async () => {
          const again = await follow(ids[4]!, TOKEN);
          open.push(again.req);
          return again.res.statusCode === 200 ? true : (again.req.destroy(), undefined);
        },
        10_000,
      );
    } finally {
      for (const r of open) r.destroy();
    }
  });

  it("keeps the API's memory flat for a follower that never reads a chatty run", async () => {
    const id = await queuedRun();
    // A raw client that asks to follow, then never reads a byte.
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /v1/runs/${id}/logs?follow=true HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    const head = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    assert.match(head, /^HTTP\/1\.1 200/);
    socket.pause();
    // The run's output, as a worker writes it: as fast as this Redis takes it, for 15 s.
    const control = new RunControl(conn, stack.prefix);
    const entries = Array.from({ length: 256 }, (_, i) => Buffer.alloc(8 * 1024, 97 + (i % 26)));
    const rss = sampleRss(api.child.pid!);
    let written = 0;
    try {
      const until = Date.now() + 15_000;
      while (Date.now() < until) {
        await control.appendLiveLogs(id, entries);
        written += 256 * 8 * 1024;
      }
    } finally {
      rss.stop();
      socket.destroy();
    }
    process.stdout.write(`      API RSS ${mb(rss.first)} -> peak ${mb(rss.peak)} while the run wrote ${mb(written)} to a follower that read nothing\n`);
    // A follower that is pushed to without backpressure grows the API by what the run wrote.
    assert.ok(rss.peak - rss.first < 40 * 2 ** 20, `the API grew from ${mb(rss.first)} to ${mb(rss.peak)}`);
    // And the run must have been chatty, or a flat memory would prove nothing (200 MB in 15 s seen).
    assert.ok(written > 100 * 2 ** 20, `the run wrote only ${mb(written)}: not chatty enough to prove anything`);
  });
});
