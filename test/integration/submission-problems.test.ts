import assert from 'node:assert/strict';
import { ErrorBody } from '@modelrun/contracts';
import { type Stack, startStack } from '../helpers/stack';

describe('POST /v1/models: every problem at once', function () {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ workers: 0, env: { RUN_MEMORY_MB_MAX: '2048', RUN_TIMEOUT_SECONDS_MAX: '600' } });
  });
  after(() => stack?.stop());

  it('lists each problem of the body with its field, not just the first', async () => {
    const res = await stack.http.post('/v1/models').send({ image: 'has spaces', name: 'Not A Name', limits: { memoryMb: 8, timeoutSeconds: 1.5 }, disk: 5 });
    assert.equal(res.status, 400);
    const body = ErrorBody.parse(res.body);
    assert.equal(body.error.code, 'bad_request');
    const paths = body.error.details?.map((d) => d.path).sort();
    assert.deepEqual(paths, ['', 'image', 'limits.memoryMb', 'limits.timeoutSeconds', 'name'], JSON.stringify(body));
    assert.match(body.error.message, /image: .*; name: .*limits\.memoryMb/);
  });

  it('names every limit over its ceiling, each with its field', async () => {
    const res = await stack.http.post('/v1/models').send({ image: 'team/model:1', name: 'm', limits: { memoryMb: 4096, timeoutSeconds: 3600 } });
    assert.equal(res.status, 400);
    const body = ErrorBody.parse(res.body);
    assert.deepEqual(body.error.details, [
      { path: 'limits.timeoutSeconds', message: '3600 is over the ceiling of 600s' },
      { path: 'limits.memoryMb', message: '4096 is over the ceiling of 2048 MiB' },
    ]);
    assert.equal(body.error.message, 'limits.timeoutSeconds: 3600 is over the ceiling of 600s; limits.memoryMb: 4096 is over the ceiling of 2048 MiB');
  });

  it('gives the submit form the defaults and ceilings of each limit with the benchmarks', async () => {
    const res = await stack.http.get('/v1/benchmarks');
    assert.equal(res.status, 200);
    assert.equal(res.body.limits.ceilings.memoryMb, 2048);
    assert.equal(res.body.limits.ceilings.timeoutSeconds, 600);
    assert.equal(typeof res.body.limits.defaults.memoryMb, 'number');
  });
});
