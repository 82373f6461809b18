import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { CancelWatch, RunControl, cancelKey } from '@modelrun/run-control';
import { type RedisServer, startRedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { commandCalls } from '../helpers/redis-commands';

describe('a worker learns of cancels as they are asked for (cancel-watch.ts)', function () {
  // A Redis of its own: its command counts are this test's alone.
  let redis: RedisServer;
  let conn: Redis;
  let watch: CancelWatch | undefined;
  const deployment = 'cw';

  before(async () => {
    redis = await startRedisServer();
    conn = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => watch?.stop());
  after(async () => {
    conn?.disconnect();
    await redis?.stop();
  });

  it('stops a run at once when its cancel is announced, and asks Redis nothing while runs go on', async () => {
    // The fallback check far away: only the announcement can be what stops the run.
    watch = new CancelWatch(conn, deployment, { checkMs: 60_000 });
    await watch.start();
    const cancelled: string[] = [];
    const stops = ['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => watch!.watch(id, () => cancelled.push(id)));
    await conn.config('RESETSTAT');
    // Five runs watched for 1.5 s: the poll this replaced made 7 GETs of each.
    await new Promise((r) => setTimeout(r, 1500));
    const quiet = await commandCalls(conn);
    assert.equal(quiet.get('get'), undefined, JSON.stringify(Object.fromEntries(quiet)));
    assert.equal(quiet.get('mget'), undefined, JSON.stringify(Object.fromEntries(quiet)));
    const t0 = Date.now();
    assert.equal(await new RunControl(conn, deployment).requestCancel('r3', new Date()), true);
    await waitFor('the cancel to reach the watch', () => (cancelled.length > 0 ? true : undefined), 5000, 5);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    assert.deepEqual(cancelled, ['r3']);
    // A run no longer watched is not told.
    stops[1]!();
    await new RunControl(conn, deployment).requestCancel('r2', new Date());
    await new RunControl(conn, deployment).requestCancel('r4', new Date());
    await waitFor('the second cancel', () => (cancelled.includes('r4') ? true : undefined), 5000, 5);
    assert.deepEqual(cancelled, ['r3', 'r4']);
  });

  it('finds a cancel whose announcement it missed: at its periodic check, one MGET for every run it holds', async () => {
    watch = new CancelWatch(conn, deployment, { checkMs: 300 });
    await watch.start();
    const cancelled: string[] = [];
    watch.watch('m1', () => cancelled.push('m1'));
    watch.watch('m2', () => cancelled.push('m2'));
    // The flag set without its announcement (as if published while the subscriber was away).
    await conn.set(cancelKey(deployment, 'm2'), new Date().toISOString());
    await waitFor('the check to find the cancel', () => (cancelled.length > 0 ? true : undefined), 5000);
    assert.deepEqual(cancelled, ['m2']);
  });

  it('looks at every run it holds when its subscriber connects again (announcements meanwhile were lost)', async () => {
    watch = new CancelWatch(conn, deployment, { checkMs: 60_000 });
    await watch.start();
    const cancelled: string[] = [];
    watch.watch('k1', () => cancelled.push('k1'));
    await conn.set(cancelKey(deployment, 'k1'), new Date().toISOString());
    assert.deepEqual(cancelled, []);
    // The subscriber's connection dropped: it reconnects and checks.
    const killed = await conn.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    assert.equal(killed, 1);
    await waitFor('the check after the reconnection', () => (cancelled.length > 0 ? true : undefined), 10_000);
    assert.deepEqual(cancelled, ['k1']);
  });
});
