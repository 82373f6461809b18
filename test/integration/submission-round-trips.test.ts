import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { type RedisServer, startRedisServer, testRedis } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { commandCalls } from '../helpers/redis-commands';

describe('what a submission costs in Redis', function () {
  // A Redis of its own: INFO commandstats then counts this API's commands and nothing else.
  let redis: RedisServer;
  let stack: Stack;
  let conn: Redis;

  before(async () => {
    redis = await startRedisServer();
    // No worker: nothing but the API talks to this Redis.
    stack = await startStack({ workers: 0, redisUrl: redis.url });
    conn = testRedis(redis.url);
  });
  after(async () => {
    conn?.disconnect();
    await stack?.stop();
    await redis?.stop();
  });

  it('is the add per POST, and a fair-share call shared with the POSTs at once, without a credential: the API never reads back a job it just added', async () => {
    // Warm up: BullMQ loads its scripts on the first add (SCRIPT LOAD / EVAL, once).
    assert.equal((await stack.http.post('/v1/models').send({ image: 'team/model:1', name: 'warm-up' })).status, 202);
    await conn.config('RESETSTAT');
    // Submissions at once, so the queue events of some arrive before their own add's reply.
    const n = 60;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => stack.http.post('/v1/models').send({ image: 'team/model:1', name: `burst-${i % 6}` })));
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 202),
    );
    const calls = await commandCalls(conn);
    // Each submission is an EVALSHA of its own, the add (BullMQ's addPrioritizedJob), and a share
    // of one more: the runs' ranks among their submitters' waiting runs (fair-share-enter.lua),
    // which their priorities need before the adds, entered in one call for every submission that
    // came while the previous such call was in flight (RunEnqueuer). The commands the scripts run
    // inside Redis are counted too, but they are no round trips. The API's event listener blocks
    // in XREAD; this connection's own INFO and CONFIG are not the API's.
    // How many came while a call was in flight depends on the machine: fewer calls than
    // submissions is what batching must give.
    assertBatched(calls, n);
    // No credential presented (an API without tokens), so no failed-authentication check: nothing else.
    for (const c of ['multi', 'pttl', 'exec']) assert.equal(calls.get(c), undefined, `${c}: ${JSON.stringify(Object.fromEntries(calls))}`);
    const outside = [...calls.keys()].filter((c) => !['evalsha', 'xread', 'info', 'config|resetstat'].includes(c) && !INSIDE_ADD.has(c) && !INSIDE_FAIR_SHARE.has(c));
    assert.deepEqual(outside, [], `commands other than the add: ${JSON.stringify(Object.fromEntries(calls))}`);
    // All of them listed at once, from the API's own index.
    const listed = await stack.http.get('/v1/models?limit=100');
    assert.equal(listed.body.total, 7);
  });

  it('adds the failed-authentication check, one round trip, to a request that presents a token', async () => {
    const token = 'round-trips-token-0123456789abcdef';
    const withTokens = await startStack({ workers: 0, redisUrl: redis.url, env: { API_TOKENS: token } });
    try {
      const post = (name: string) =>
        withTokens.http
          .post('/v1/models')
          .set({ Authorization: `Bearer ${token}` })
          .send({ image: 'team/model:1', name });
      assert.equal((await post('warm-up')).status, 202);
      await conn.config('RESETSTAT');
      const n = 20;
      const answers = await Promise.all(Array.from({ length: n }, (_, i) => post(`tok-${i % 4}`)));
      assert.deepEqual(
        answers.map((a) => a.status),
        answers.map(() => 202),
      );
      const calls = await commandCalls(conn);
      // Before authentication, a request that presents a credential reads its address's failed
      // authentications (one MULTI of GET and PTTL: auth-failures.ts, shared by API replicas).
      for (const c of AUTH_FAILURE_CHECK) assert.equal(calls.get(c), n, `${c}: ${JSON.stringify(Object.fromEntries(calls))}`);
      assertBatched(calls, n);
    } finally {
      await withTokens.stop();
    }
  });
});

/** `n` adds, and at least one but fewer than `n` fair-share calls: submissions at once entered together. */
function assertBatched(calls: Map<string, number>, n: number): void {
  const fairShareCalls = (calls.get('evalsha') ?? 0) - n;
  assert.ok(fairShareCalls >= 1 && fairShareCalls < n, `${fairShareCalls} fair-share calls for ${n} submissions: ${JSON.stringify(Object.fromEntries(calls))}`);
}

/** The failed-authentication check's one round trip: MULTI, GET, PTTL, EXEC. */
const AUTH_FAILURE_CHECK = ['multi', 'get', 'pttl', 'exec'];

/** What BullMQ's add scripts call inside Redis (seen in INFO commandstats). */
const INSIDE_ADD = new Set(['exists', 'hmset', 'hmget', 'hget', 'incr', 'zadd', 'lpush', 'xadd']);

/** What fair-share-enter.lua calls inside Redis (ZSCORE only for a submitter's runs older than a minute). */
const INSIDE_FAIR_SHARE = new Set(['zrange', 'zscore', 'zadd', 'expire', 'set', 'zcard']);
