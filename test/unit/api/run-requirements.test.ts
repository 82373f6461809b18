import assert from 'node:assert/strict';
import type { BenchmarkDefinition } from '@modelrun/contracts';
import { loadApiConfig, ConfigError } from '@modelrun/config';
import { admitRequirements } from '../../../apps/api/src/services/run-requirements';
import { InvalidRequest } from '../../../apps/api/src/services/errors';

const bench = (over: Partial<BenchmarkDefinition>): BenchmarkDefinition =>
  ({ name: 'digits', evaluator: { image: 'e:1' }, reference: { volume: 'ref' }, metrics: [{ name: 'accuracy', direction: 'higher' }], primaryMetric: 'accuracy', ...over }) as BenchmarkDefinition;

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidRequest, String(err));
    return err.message;
  }
  return assert.fail('expected a 400');
};

describe('admitRequirements: what a submitted run needs of its host', () => {
  it("joins the benchmark's labels and runtimes with the labels a submission may ask for, canonically", () => {
    const b = bench({ requires: { reference: 'digits' }, runtime: { model: 'runsc', evaluator: 'runc' } });
    assert.deepEqual(admitRequirements({ requires: { gpu: 'a100' } }, b, ['gpu']), ['gpu=a100', 'reference=digits', 'runtime=runc', 'runtime=runsc']);
    assert.deepEqual(admitRequirements({}, undefined, []), [], 'a run that needs nothing stays in the base queues');
  });

  it('refuses a label the operator did not allow, a runtime, and a value the benchmark fixes otherwise', () => {
    assert.match(
      refusal(() => admitRequirements({ requires: { zone: 'a' } }, undefined, ['gpu'])),
      /requires\.zone: the label zone may not be required: only gpu may be required here \(RUN_ALLOWED_LABELS\)/,
    );
    assert.match(
      refusal(() => admitRequirements({ requires: { zone: 'a' } }, undefined, [])),
      /allows no labels to be required \(RUN_ALLOWED_LABELS is empty\)/,
    );
    assert.match(
      refusal(() => admitRequirements({ requires: { runtime: 'runc' } }, undefined, ['runtime'])),
      /requires\.runtime: a run's runtime is set by its benchmark or the deployment/,
    );
    assert.match(
      refusal(() => admitRequirements({ requires: { reference: 'faces' } }, bench({ requires: { reference: 'digits' } }), ['reference'])),
      /benchmark digits requires reference=digits/,
    );
  });

  it('reads RUN_ALLOWED_LABELS as label keys, and refuses runtime among them', () => {
    assert.deepEqual(loadApiConfig({ RUN_ALLOWED_LABELS: 'gpu, zone' }).allowedLabels, ['gpu', 'zone']);
    assert.deepEqual(loadApiConfig({}).allowedLabels, []);
    assert.throws(
      () => loadApiConfig({ RUN_ALLOWED_LABELS: 'gpu,runtime' }),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('RUN_ALLOWED_LABELS')),
    );
  });
});
