import assert from 'node:assert/strict';
import { HandedBackError, InfrastructureError, ModelFault } from '@modelrun/runner';
import { decideFault, gaveUpMessage } from '../../../apps/worker/src/run/faults';

describe('the retry policy (decideFault)', () => {
  it('hands a run back at shutdown whatever the attempt', () => {
    assert.deepEqual(decideFault(new HandedBackError(), 5, 5), { kind: 'hand-back' });
  });

  it('fails a model fault at once, even with attempts left', () => {
    const fault = new ModelFault('image_not_found', 'no such image');
    assert.deepEqual(decideFault(fault, 1, 5), { kind: 'model-fault', fault });
  });

  it('retries an infrastructure fault while attempts remain, and says how many', () => {
    assert.deepEqual(decideFault(new InfrastructureError('engine down'), 2, 5), { kind: 'retry', attemptsLeft: 3 });
  });

  it('gives up on the last attempt', () => {
    assert.deepEqual(decideFault(new InfrastructureError('engine down'), 5, 5), { kind: 'give-up' });
    assert.deepEqual(decideFault(new Error('anything unexpected'), 1, 1), { kind: 'give-up' });
  });

  it('says how many attempts were made when it gives up', () => {
    assert.equal(gaveUpMessage(1, new Error('x')), 'the platform failed to run the model after 1 attempt: x');
    assert.equal(gaveUpMessage(3, 'y'), 'the platform failed to run the model after 3 attempts: y');
  });
});
