import assert from 'node:assert/strict';
import { ConfigError, loadWorkerConfig } from '@modelrun/config';

describe('WORKER_LABELS', () => {
  const load = (WORKER_LABELS: string | undefined) => loadWorkerConfig({ WORKER_LABELS, WORKER_METRICS_PORT: undefined });

  it('reads key=value pairs into the worker config', () => {
    assert.deepEqual(load('reference=digits, zone=a,gpu=a100').labels, { reference: 'digits', zone: 'a', gpu: 'a100' });
  });

  it('is empty when unset or blank', () => {
    assert.deepEqual(load(undefined).labels, {});
    assert.deepEqual(load('  ').labels, {});
  });

  for (const [bad, says] of [
    ['zone', /"zone" must be key=value/],
    ['zone=', /"zone=" must be key=value/],
    ['1zone=a', /must be key=value/],
    ['zone=a b', /must be key=value/],
    ['zone=a,zone=b', /names the label zone twice/],
  ] as const) {
    it(`refuses ${JSON.stringify(bad)}, naming the variable`, () => {
      assert.throws(
        () => load(bad),
        (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('WORKER_LABELS:') && says.test(p)),
      );
    });
  }
});

describe('WORKER_METRICS_PORT', () => {
  it('unset: 9464, movable to a free port', () => {
    const c = loadWorkerConfig({});
    assert.equal(c.metricsPort, 9464);
    assert.equal(c.metricsPortFixed, false);
  });

  it('set: that port, fixed', () => {
    const c = loadWorkerConfig({ WORKER_METRICS_PORT: '9500' });
    assert.equal(c.metricsPort, 9500);
    assert.equal(c.metricsPortFixed, true);
  });
});
