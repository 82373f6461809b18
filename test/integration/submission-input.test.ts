import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RUN_QUEUE } from '@modelrun/contracts';
import { type Stack, startStack } from '../helpers/stack';

describe('POST /v1/models with bad input', function () {
  let stack: Stack;
  let queue: Queue;
  let conn: Redis;

  before(async () => {
    // No worker: whatever the API enqueues stays in the queue to be counted.
    stack = await startStack({ workers: 0 });
    conn = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
  });
  after(async () => {
    await queue?.close();
    conn?.disconnect();
    await stack?.stop();
  });

  const queued = async (): Promise<number> => {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(c).reduce((a, b) => a + b, 0);
  };

  const cases: [string, unknown, RegExp][] = [
    ['a missing image', { name: 'ok-name' }, /image: is required/],
    ['a missing name', { image: 'team/model:1' }, /name: is required/],
    ['an empty name', { image: 'team/model:1', name: '' }, /name: must not be empty/],
    ['an empty image', { image: '', name: 'ok-name' }, /image: must not be empty/],
    ['a name with upper case', { image: 'team/model:1', name: 'Digits' }, /name: must be 1-63 of a-z 0-9/],
    ['a name starting with a dot', { image: 'team/model:1', name: '.hidden' }, /name: must be 1-63/],
    ['a name that climbs out of the data folder', { image: 'team/model:1', name: '../etc' }, /name: must be 1-63/],
    ['a name with a slash', { image: 'team/model:1', name: 'a/b' }, /name: must be 1-63/],
    ['a name of 64 characters', { image: 'team/model:1', name: 'a'.repeat(64) }, /name: must be at most 63/],
    ['a name that is not a string', { image: 'team/model:1', name: 42 }, /name: must be a string/],
    ['an image that is not a reference', { image: 'not an image!', name: 'ok-name' }, /image: is not a valid image reference/],
    ['an unknown field', { image: 'team/model:1', name: 'ok-name', privileged: true }, /unknown field: privileged/],
    ['a body that is an array', [{ image: 'team/model:1', name: 'ok-name' }], /must be a JSON object/],
  ];

  for (const [what, body, message] of cases) {
    it(`refuses ${what} with 400 and enqueues nothing`, async () => {
      const res = await stack.http.post('/v1/models').send(body as object);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'bad_request');
      assert.match(res.body.error.message, message);
      assert.equal(await queued(), 0);
    });
  }

  for (const [what, raw] of [
    ['a string', '"hello"'],
    ['null', 'null'],
    ['a number', '42'],
  ]) {
    it(`refuses a JSON body that is ${what} with 400`, async () => {
      const res = await stack.http.post('/v1/models').set('Content-Type', 'application/json').send(raw!);
      assert.equal(res.status, 400);
      assert.match(res.body.error.message, /the body must be a JSON object/);
      assert.equal(await queued(), 0);
    });
  }

  it('refuses a body that is not JSON with 400', async () => {
    const res = await stack.http.post('/v1/models').set('Content-Type', 'application/json').send('{"image": "a/b", "name":');
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /not valid JSON/);
    assert.equal(await queued(), 0);
  });

  it('refuses a body sent as something other than JSON with 400', async () => {
    const res = await stack.http.post('/v1/models').set('Content-Type', 'text/plain').send('image=a/b&name=c');
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /Content-Type: application\/json/);
    assert.equal(await queued(), 0);
  });

  it('refuses an empty body with 400', async () => {
    const res = await stack.http.post('/v1/models').set('Content-Type', 'application/json');
    assert.equal(res.status, 400);
    assert.equal(await queued(), 0);
  });

  it('enqueues exactly one run for a good submission, listed at once', async () => {
    const before = await stack.http.get('/v1/models');
    assert.equal(before.body.total, 0);
    const res = await stack.http.post('/v1/models').send({ image: 'team/model:1', name: 'ok-name' });
    assert.equal(res.status, 202);
    assert.equal(await queued(), 1);
    const job = await queue.getJob(res.body.id);
    assert.equal(job?.data.name, 'ok-name');
    // The first listing was kept serialized; a change to the index must replace it.
    const after = await stack.http.get('/v1/models');
    assert.equal(after.body.total, 1);
    assert.equal(after.body.models[0].latestRun.status, 'queued');
  });
});
