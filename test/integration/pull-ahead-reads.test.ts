import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RUN_JOB, type RunJobData } from '@modelrun/contracts';
import { type RunQueue, createRunQueue } from '@modelrun/queue';
import type { ImagePuller } from '@modelrun/runner';
import { type PullAhead, startPullAhead } from '../../apps/worker/src/pull-ahead/loop';
import { testLogger } from '../helpers/logger';
import { type RedisServer, startRedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { commandCalls } from '../helpers/redis-commands';

/**
 * The pull-ahead's look at the queue, on a real Redis: the engine side is a stand-in that says
 * every image is there already (what is pulled is pull-ahead.test.ts's business, on Docker).
 */
describe('pull-ahead reads each waiting job once, not every second (issue 20)', function () {
  let redis: RedisServer;
  let conn: Redis;
  let queue: RunQueue;
  let loop: PullAhead | undefined;
  const asked: string[] = [];
  const images: ImagePuller = {
    ensure: async () => 'sha256:0',
    pullAhead: async (image) => {
      asked.push(image);
      return { state: 'present' };
    },
    inFlight: () => [],
    observe: () => undefined,
    abortAhead: () => undefined,
  };
  const add = (i: number, image: string): Promise<unknown> => {
    const data = { id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`, name: `m${i}`, image, createdAt: new Date().toISOString() } as RunJobData;
    return queue.add(RUN_JOB, data, { jobId: data.id, priority: 1 + (i % 3) });
  };

  before(async () => {
    redis = await startRedisServer();
    conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    queue = createRunQueue(conn, 'pa');
  });
  after(async () => {
    loop?.stop();
    await queue?.close();
    conn?.disconnect();
    await redis?.stop();
  });

  it('reads the ids in its window every look and a job only when it is new to it, and still sees new images', async () => {
    for (let i = 0; i < 12; i++) await add(i, `registry.example/team/m${i % 6}:v1`);
    await conn.config('RESETSTAT');
    loop = startPullAhead({ queues: [queue], images, limits: { images: 6, bytes: 1e12 }, canTake: () => true, log: testLogger('worker'), intervalMs: 100 });
    await waitFor('the six images asked about', () => (new Set(asked).size === 6 ? true : undefined), 5000);
    // About ten more looks at an unchanged queue.
    await new Promise((r) => setTimeout(r, 1000));
    const calls = await commandCalls(conn);
    // Each of the 12 jobs read once (the window holds them all: 6 images x 4 = 24 ids).
    assert.equal(calls.get('hgetall'), 12, JSON.stringify(Object.fromEntries(calls)));
    assert.ok((calls.get('zrange') ?? 0) >= 8, `range reads: ${JSON.stringify(Object.fromEntries(calls))}`);
    // A new run with a new image: read once, and its image is looked at.
    await conn.config('RESETSTAT');
    await add(100, 'registry.example/team/new:v1');
    await waitFor('the new image asked about', () => (asked.includes('registry.example/team/new:v1') ? true : undefined), 5000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await commandCalls(conn)).get('hgetall'), 1);
  });
});
