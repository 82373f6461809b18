import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { FairShare } from '@modelrun/run-control';
import { infra } from '../helpers/infra';

/**
 * The run-control scripts on a fresh connection with auto-pipelining (the API's producer
 * connection): the first calls of a tick, all together, as concurrent submissions right after
 * an API starts make them. ioredis opens a tick's pipeline before the scripts are defined on the
 * connection; a call that joined it failed "pipeline[functionName] is not a function" (503).
 */
describe('Redis scripts on a new auto-pipelined connection', function () {
  this.timeout(20_000);
  let redis: Redis;

  beforeEach(async () => {
    redis = new Redis((await infra()).redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
    await redis.ping();
  });
  afterEach(() => redis.quit());

  it('answers every one of many first calls made in the same tick', async () => {
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const share = new FairShare(redis, prefix);
    const queue = { name: 'runs', prioritizedKey: `${prefix}:runs:prioritized`, delayedKey: `${prefix}:runs:delayed` };
    // A plain command first, so the tick's pipeline exists before any script is defined.
    const ping = redis.ping();
    const ranks = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await share.enter([{ queue, submitter: 'alice', runId: `run-${i}` }]))[0]!));
    assert.equal(await ping, 'PONG');
    assert.deepEqual(
      ranks.sort((a, b) => a - b),
      [1, 2, 3, 4, 5],
    );
  });
});
