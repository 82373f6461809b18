import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseRedisTarget } from '@modelrun/config';
import { createRedis } from '@modelrun/queue';
import { RunOwnership } from '@modelrun/run-control';
import { WORKER_RUNS_CONNECTION } from '@modelrun/worker';
import { infra } from '../helpers/infra';
import { testRedis } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

// Twice: over a plain connection, and over one like the worker's runs connection (worker.ts),
// whose commands issued together share a round trip. Neither may change what a claim answers.
const connections: [string, (url: string) => Redis][] = [
  ['a plain connection', (url) => testRedis(url)],
  ["the worker's auto-pipelined runs connection", (url) => createRedis(parseRedisTarget(url), { role: 'consumer', name: WORKER_RUNS_CONNECTION, pipelined: true, onError: () => undefined })],
];

for (const [over, connect] of connections)
  describe(`run ownership in Redis, over ${over}`, () => {
    let redis: Redis;
    let prefix: string;
    let own: RunOwnership;

    before(async () => {
      redis = connect((await infra()).redisUrl);
    });
    beforeEach(() => {
      prefix = `own${randomBytes(4).toString('hex')}`;
      own = new RunOwnership(redis, prefix);
    });
    afterEach(async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
    });
    after(() => redis.disconnect());

    it('gives a new run to the first host that asks, and to it again on a redelivery', async () => {
      await own.renewLease('a', 5_000);
      assert.deepEqual(await own.claim('r1', 'a'), { kind: 'new', owner: { host: 'a', fence: 1 } });
      assert.deepEqual(await own.claim('r1', 'a'), { kind: 'mine', owner: { host: 'a', fence: 1 } });
      assert.deepEqual(await own.owner('r1'), { host: 'a', fence: 1 });
    });

    it("keeps a run with its host while the host's lease is alive", async () => {
      await own.renewLease('a', 5_000);
      await own.claim('r1', 'a');
      const claim = await own.claim('r1', 'b');
      assert.equal(claim.kind, 'elsewhere');
      assert.deepEqual(claim.owner, { host: 'a', fence: 1 });
      assert.ok(claim.kind === 'elsewhere' && claim.leaseMs > 0 && claim.leaseMs <= 5_000, JSON.stringify(claim));
      assert.equal(await own.holds('r1', { host: 'a', fence: 1 }), true);
    });

    it('lets another host take a run over once the lease lapses, bumping the fence; the old owner no longer holds it', async () => {
      await own.renewLease('a', 300);
      await own.claim('r1', 'a');
      await waitFor('the lease of host a to lapse', async () => ((await own.leaseLeftMs('a')) === 0 ? true : undefined), 5_000);
      assert.deepEqual(await own.claim('r1', 'b'), { kind: 'taken', owner: { host: 'b', fence: 2 }, from: 'a' });
      assert.equal(await own.holds('r1', { host: 'a', fence: 1 }), false);
      assert.equal(await own.holds('r1', { host: 'b', fence: 2 }), true);
      // Host a comes back: b's lease is alive, so a hands the run back rather than taking it.
      await own.renewLease('a', 5_000);
      await own.renewLease('b', 5_000);
      assert.equal((await own.claim('r1', 'a')).kind, 'elsewhere');
    });

    it('lets exactly one of many hosts racing for a lapsed run take it', async () => {
      await own.claim('r1', 'lost'); // no lease at all: lapsed from the start
      const claims = await Promise.all(
        ['b', 'c', 'd', 'e', 'f', 'g'].map(async (h) => {
          await own.renewLease(h, 5_000);
          return own.claim('r1', h);
        }),
      );
      const taken = claims.filter((c) => c.kind === 'taken');
      assert.equal(taken.length, 1, JSON.stringify(claims));
      assert.equal(taken[0]!.owner.fence, 2);
      assert.ok(
        claims.every((c) => c.kind === 'taken' || c.kind === 'elsewhere'),
        JSON.stringify(claims),
      );
      assert.deepEqual(await own.owner('r1'), taken[0]!.owner);
    });

    it("lets a recorded run's owner linger, not vanish", async () => {
      await own.claim('r1', 'a');
      await own.clear('r1');
      assert.deepEqual(await own.owner('r1'), { host: 'a', fence: 1 });
      const ttl = await redis.ttl(`${prefix}:own:run:r1`);
      assert.ok(ttl > 0 && ttl <= 24 * 3600, `ttl ${ttl}`);
    });

    it("lets a recorded run's owner linger from within the caller's transaction too", async () => {
      await own.claim('r1', 'a');
      await own.clearIn(redis.multi().set(`${prefix}:other`, 'x'), 'r1').exec();
      assert.deepEqual(await own.owner('r1'), { host: 'a', fence: 1 });
      const ttl = await redis.ttl(`${prefix}:own:run:r1`);
      assert.ok(ttl > 0 && ttl <= 24 * 3600, `ttl ${ttl}`);
      assert.equal(await redis.get(`${prefix}:other`), 'x');
    });
  });
