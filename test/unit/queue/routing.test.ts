import assert from 'node:assert/strict';
import { type HostFacts, hostOffer, parseQueueName, requirementsOf, routedQueueName, servesQueue, unmet, waitingFor } from '@modelrun/queue';

function host(id: string, labels: Record<string, string>, runtimes: string[] = ['runc'], more: Partial<HostFacts> = {}): HostFacts {
  return { id, state: 'live', labels, runtimes, takingRuns: true, ...more };
}

describe('routing: what a run requires and which hosts meet it', () => {
  it('makes one canonical requirement set whatever the order, runtimes as runtime=<name>, each once', () => {
    assert.deepEqual(requirementsOf({ zone: 'a', reference: 'digits' }, ['runsc', 'runc', 'runsc', undefined]), ['reference=digits', 'runtime=runc', 'runtime=runsc', 'zone=a']);
    assert.deepEqual(requirementsOf({}, [undefined, undefined]), []);
  });

  it('lets a host with runc and runsc satisfy a run that requires either, or both', () => {
    const offer = hostOffer({ zone: 'a' }, ['runc', 'runsc']);
    assert.deepEqual(unmet(offer, ['runtime=runsc']), []);
    assert.deepEqual(unmet(offer, ['runtime=runc']), []);
    assert.deepEqual(unmet(offer, ['runtime=runc', 'runtime=runsc', 'zone=a']), []);
  });

  it('names what a host lacks: another value of the label is not the label', () => {
    const offer = hostOffer({ zone: 'a' }, ['runc']);
    assert.deepEqual(unmet(offer, ['reference=digits', 'runtime=runsc', 'zone=a']), ['reference=digits', 'runtime=runsc']);
    assert.deepEqual(unmet(offer, ['zone=b']), ['zone=b']);
  });

  it('ignores a WORKER_LABELS runtime label: only the engine says which runtimes it has', () => {
    assert.deepEqual(unmet(hostOffer({ runtime: 'runsc' }, ['runc']), ['runtime=runsc']), ['runtime=runsc']);
  });

  it('keeps runs that require nothing in runs and runs-gpu, exactly as before routing', () => {
    assert.equal(routedQueueName('runs', []), 'runs');
    assert.equal(routedQueueName('runs-gpu', []), 'runs-gpu');
    assert.equal(routedQueueName('runs', ['zone=a', 'reference=digits']), 'runs@reference=digits,zone=a');
    assert.deepEqual(parseQueueName('runs-gpu@gpu=a100'), { base: 'runs-gpu', requires: ['gpu=a100'] });
    assert.equal(parseQueueName('webhooks'), undefined);
    assert.equal(parseQueueName('runs@nonsense'), undefined);
  });

  it('lets a worker consume a routed queue only with every requirement, and a GPU one only with GPUs', () => {
    const offer = hostOffer({ reference: 'digits' }, ['runc']);
    const table: [string, boolean, boolean][] = [
      ['runs', false, true],
      ['runs@reference=digits', false, true],
      ['runs@reference=digits,runtime=runsc', false, false],
      ['runs@reference=faces', false, false],
      ['runs-gpu@reference=digits', false, false],
      ['runs-gpu@reference=digits', true, true],
      ['webhooks', false, false],
    ];
    for (const [name, gpus, serves] of table) assert.equal(servesQueue(name, offer, gpus), serves, `${name} with${gpus ? '' : 'out'} GPUs`);
  });
});

describe('routing: why a queued run waits', () => {
  it('says nothing while a live host that takes runs has everything the run needs', () => {
    assert.equal(waitingFor(['reference=digits'], [host('a', { zone: 'a' }), host('b', { reference: 'digits' })]), undefined);
    assert.equal(waitingFor([], []), undefined);
  });

  it('names the requirement and every live host with its labels when none has it', () => {
    assert.equal(
      waitingFor(['reference=digits'], [host('a', { zone: 'a' }), host('b', {}, []), host('c', { reference: 'digits' }, ['runc'], { state: 'lost' })]),
      'a host with reference=digits (no live host has it; hosts: a (zone=a), b)',
    );
    assert.equal(waitingFor(['runtime=runsc'], []), 'a host with runtime=runsc (no live host has it; no live hosts)');
    // Runtimes are listed when the run needs one.
    assert.equal(waitingFor(['runtime=runsc'], [host('a', { zone: 'a' }, ['runc'])]), 'a host with runtime=runsc (no live host has it; hosts: a (zone=a, runtime=runc))');
  });

  it('says so when the only hosts that have it are drained', () => {
    assert.match(waitingFor(['zone=a'], [host('a', { zone: 'a' }, [], { takingRuns: false })]) ?? '', /every live host that has it is drained: a/);
  });
});
