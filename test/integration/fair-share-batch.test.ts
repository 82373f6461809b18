import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { FairShare, type FairShareEntry, type FairShareQueue } from '@modelrun/run-control';
import { infra } from '../helpers/infra';

/** JOIN_GRACE_MS in fair-share.ts: entries older than this that no longer wait are dropped. */
const GRACE_MS = 60_000;

/**
 * The API enters concurrent submissions in one script call (FairShare.enter with several runs).
 * That call must rank them exactly as one call per run, in order, would: the same ranks and the
 * same state left in Redis, on the same starting state.
 */
describe('fair share: runs entered together rank as if entered one by one', function () {
  this.timeout(20_000);
  let redis: Redis;

  beforeEach(async () => {
    redis = new Redis((await infra()).redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
    await redis.ping();
  });
  afterEach(() => redis.quit());

  const queueOf = (prefix: string, name: string): FairShareQueue => ({ name, prioritizedKey: `${prefix}:${name}:prioritized`, delayedKey: `${prefix}:${name}:delayed` });

  /** What a prefix holds: every key with its contents (sorted sets with scores) and whether it expires. */
  async function state(prefix: string): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const key of (await redis.keys(`${prefix}:*`)).sort()) {
      const type = await redis.type(key);
      const value = type === 'zset' ? await redis.call('ZRANGE', key, 0, -1, 'WITHSCORES') : await redis.get(key);
      out[key.slice(prefix.length)] = { value: typeof value === 'string' ? value.slice(prefix.length) : value, expires: (await redis.ttl(key)) > 0 };
    }
    return out;
  }

  /**
   * The same start on a prefix: alice has two old runs (one still waiting in `runs`, one gone:
   * the next enter drops it) and bob one young run.
   */
  async function seed(prefix: string, now: number): Promise<FairShare> {
    const share = new FairShare(redis, prefix);
    const runs = queueOf(prefix, 'runs');
    await share.enter([{ queue: runs, submitter: 'alice', runId: 'old-waiting' }], now - 3 * GRACE_MS);
    await share.enter([{ queue: runs, submitter: 'alice', runId: 'old-gone' }], now - 2 * GRACE_MS);
    await redis.zadd(runs.prioritizedKey, 1, 'old-waiting');
    await share.enter([{ queue: runs, submitter: 'bob', runId: 'young' }], now - 1000);
    return share;
  }

  const batch = (prefix: string): FairShareEntry[] => {
    const runs = queueOf(prefix, 'runs');
    const gpu = queueOf(prefix, 'runs-gpu');
    return [
      { queue: runs, submitter: 'alice', runId: 'a1' },
      { queue: runs, submitter: 'bob', runId: 'b1' },
      { queue: runs, submitter: 'alice', runId: 'a2' },
      { queue: gpu, submitter: 'alice', runId: 'a3' },
      { queue: runs, submitter: 'carol', runId: 'c1' },
      { queue: runs, submitter: 'alice', runId: 'a4' },
      { queue: gpu, submitter: 'bob', runId: 'b2' },
    ];
  };

  it('gives the same ranks and leaves the same state, a submitter twice or more and two queues in one batch', async () => {
    const now = Date.now();
    const one = `t${randomBytes(5).toString('hex')}`;
    const together = `t${randomBytes(5).toString('hex')}`;
    try {
      const single = await seed(one, now);
      const ranksOneByOne: number[] = [];
      for (const entry of batch(one)) ranksOneByOne.push(...(await single.enter([entry], now)));
      const batched = await seed(together, now);
      const ranksTogether = await batched.enter(batch(together), now);

      // alice in `runs`: old-waiting stays, old-gone is dropped, then a1, a2, a4 follow it.
      assert.deepEqual(ranksOneByOne, [2, 2, 3, 1, 1, 4, 1]);
      assert.deepEqual(ranksTogether, ranksOneByOne);
      const left = await state(together);
      assert.deepEqual(left, await state(one));
      assert.equal(left[':fair:run:old-gone'], undefined, 'the old run no longer waiting is dropped');
    } finally {
      for (const prefix of [one, together]) {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length) await redis.del(...keys);
      }
    }
  });

  it('answers nothing for no runs, without a call', async () => {
    assert.deepEqual(await new FairShare(redis, 'unused').enter([]), []);
  });
});
