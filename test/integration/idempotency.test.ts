import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RUN_QUEUE } from '@modelrun/contracts';
import { type Stack, startStack } from '../helpers/stack';
import { fixture } from '../fixtures/images';

describe('Idempotency-Key on POST /v1/models', function () {
  // Submissions racing each other and a run to its end, with room for a loaded engine.
  this.timeout(60_000);
  let stack: Stack;
  let conn: Redis;
  let queue: Queue;

  before(async () => {
    stack = await startStack({ workers: 0 });
    conn = new Redis(stack.redisUrl);
    queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
  });
  after(async () => {
    await queue?.close();
    conn?.disconnect();
    await stack?.stop();
  });

  const post = (key: string, body: object) => stack.http.post('/v1/models').set('Idempotency-Key', key).send(body);

  it('returns the same run for the same key sent ten times at once, and enqueues one', async () => {
    const body = { image: fixture('score-json'), name: 'once-only' };
    const answers = await Promise.all(Array.from({ length: 10 }, () => post('key-concurrent', body)));
    for (const a of answers) assert.equal(a.status, 202, JSON.stringify(a.body));
    const ids = new Set(answers.map((a) => a.body.id));
    assert.equal(ids.size, 1, `got ${ids.size} different runs`);
    assert.equal(answers.filter((a) => a.headers['idempotent-replayed'] === 'true').length, 9);
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    assert.equal(
      Object.values(counts).reduce((x, y) => x + y, 0),
      1,
    );
  });

  it('answers 409 when the key comes back with a different request', async () => {
    await post('key-reused', { image: fixture('score-json'), name: 'first' }).expect(202);
    const res = await post('key-reused', { image: fixture('score-json'), name: 'second' });
    assert.equal(res.status, 409);
    assert.match(res.body.error.message, /already used with a different request/);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const a = await post('key-order', { name: 'ordered', image: fixture('score-json'), limits: { memoryMb: 128, cpus: 1 } });
    const b = await post('key-order', { limits: { cpus: 1, memoryMb: 128 }, image: fixture('score-json'), name: 'ordered' });
    assert.equal(b.status, 202);
    assert.equal(b.body.id, a.body.id);
  });

  it('keeps pointing at the run after BullMQ has let go of its job', async () => {
    const first = await post('key-durable', { image: fixture('score-json'), name: 'durable' });
    await stack.startWorker();
    await stack.waitForRun(first.body.id);
    await queue.remove(first.body.id);
    assert.equal(await queue.getJob(first.body.id), undefined, 'the job is gone from Redis');
    const replay = await post('key-durable', { image: fixture('score-json'), name: 'durable' });
    assert.equal(replay.status, 202);
    assert.equal(replay.body.id, first.body.id);
    assert.equal(replay.body.status, 'succeeded');
  });

  it('refuses a malformed key with 400', async () => {
    const res = await post('has spaces', { image: fixture('score-json'), name: 'x' });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /Idempotency-Key/);
  });
});
