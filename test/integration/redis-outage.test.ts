import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadApiConfig, loadWorkerConfig } from '@modelrun/config';
import { startApi } from '@modelrun/api';
import { startWorker } from '@modelrun/worker';
import { watchContainers } from '../helpers/container-watch';
import { type RedisServer, startRedisServer } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { testLogger } from '../helpers/logger';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

describe('Redis going down and coming back', function () {
  // Five runs, a Redis kill -9 and restart, and the runs after it.
  this.timeout(90_000);
  let redis: RedisServer;
  let stack: Stack;

  before(async () => {
    redis = await startRedisServer();
    stack = await startStack({ redisUrl: redis.url, workers: 0 });
  });
  after(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('loses no queued run across a kill -9 and restart (AOF), answers 503 fast meanwhile, and stores nothing it refused', async () => {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await stack.submit(fixture('score-json'), `queued-${i}`));
    // What reaches stderr past the logger: BullMQ prints a queue's connection error itself when
    // the queue has no error listener (the soak showed such lines while Redis was down).
    const printed: string[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    try {
      await redis.kill9();

      const t = Date.now();
      const refused = await stack.http.post('/v1/models').send({ image: fixture('score-json'), name: 'during-outage' });
      const took = Date.now() - t;
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'unavailable');
      assert.ok(refused.headers['retry-after']);
      assert.ok(took < 2_500, `the 503 took ${took} ms`);
      const live = await stack.http.get(`/v1/runs/${runs[0]!.id}`);
      assert.equal(live.status, 503, 'a live run cannot be read without Redis');
      const ready = await stack.http.get('/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.checks.redis.ok, false);
      assert.equal((await stack.http.get('/healthz')).status, 200, 'the process is still alive');

      // Down long enough for every connection's reconnect attempts to be refused (ioredis backs off).
      await new Promise((r) => setTimeout(r, 2_000));
      await redis.restart();
      await waitFor('readiness after the restart', async () => ((await stack.http.get('/readyz')).status === 200 ? true : undefined), 15_000);
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(
      printed.filter((line) => /ECONN|Connection is closed/.test(line)),
      [],
      'every Redis connection error of the API goes to its log, none printed unhandled',
    );
    await stack.startWorker();
    for (const run of runs) {
      const done = await stack.waitForRun(run.id, undefined, 30_000);
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
    }
    const list = await stack.http.get('/v1/models');
    assert.deepEqual(
      list.body.models.map((m: { name: string }) => m.name).sort(),
      runs.map((_, i) => `queued-${i}`),
    );
  });

  it('keeps serving finished runs and the leaderboard while Redis is down', async () => {
    const run = await stack.submit(fixture('score-plain'), 'served-offline');
    await stack.waitForRun(run.id);
    await redis.kill9();
    try {
      const res = await stack.http.get(`/v1/runs/${run.id}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.score, 0.77);
      assert.equal((await stack.http.get('/v1/models')).status, 200);
    } finally {
      await redis.restart();
      // The API reconnects with backoff (up to 2 s); until then it rightly answers 503.
      await waitFor('readiness after the restart', async () => ((await stack.http.get('/readyz')).status === 200 ? true : undefined), 15_000);
    }
  });

  it('lets a worker ride out a Redis restart in the middle of a run: once, in one container', async () => {
    const watch = await watchContainers(stack.prefix);
    const run = await stack.submit(fixture('short-sleep'), 'mid-run-blip');
    await waitFor(
      'the run to be running',
      async () => {
        const res = await stack.http.get(`/v1/runs/${run.id}`);
        return res.body.phase === 'running' ? true : undefined;
      },
      30_000,
    );
    await redis.kill9();
    await redis.restart();
    const done = await stack.waitForRun(run.id, undefined, 40_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.attempts, 1, `no retry: ${JSON.stringify(done.attemptErrors)}`);
    assert.equal(done.attemptErrors, undefined);
    assert.equal(watch.idsFor(run.id).size, 1, 'one container for the run');
    assert.deepEqual(recordFiles(stack.dataDir, 'mid-run-blip'), [`${run.id}.json`], 'recorded once');
  });
});

const recordFiles = (dataDir: string, name: string): string[] => readdirSync(join(dataDir, 'runs', name));

describe('Redis safety checks at start-up', function () {
  for (const [what, opts, problem] of [
    ['without AOF', { appendonly: false }, /appendonly=no: queued runs would be lost on a restart\. Fix: redis-server --appendonly yes/],
    ['with an eviction policy', { policy: 'allkeys-lru' }, /maxmemory-policy=allkeys-lru: it may evict jobs.*Fix: redis-server --maxmemory-policy noeviction/],
  ] as const) {
    it(`refuses to start the worker and the API on a Redis ${what}, with the fix`, async () => {
      const redis = await startRedisServer(opts);
      try {
        const env = { REDIS_URL: redis.url, DATA_DIR: '/tmp/modelrun-unused', PORT: '0', WORKER_METRICS_PORT: '0' };
        await assert.rejects(startWorker(loadWorkerConfig(env), testLogger('worker')), problem);
        await assert.rejects(startApi(loadApiConfig(env), testLogger('api')), problem);
        const api = await startApi(loadApiConfig({ ...env, REDIS_REQUIRE_PERSISTENCE: 'false' }), testLogger('api'));
        await api.close();
      } finally {
        await redis.stop();
      }
    });
  }

  it('says which Redis it could not reach and how to start one', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:1', DATA_DIR: '/tmp/modelrun-unused', PORT: '0', WORKER_METRICS_PORT: '0' };
    await assert.rejects(startApi(loadApiConfig(env), testLogger('api')), /Redis at redis:\/\/127\.0\.0\.1:1\/? did not answer.*start Redis/);
  });
});
