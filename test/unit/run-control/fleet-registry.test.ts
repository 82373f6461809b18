import assert from 'node:assert/strict';
import type { WorkerProcessRecord } from '@modelrun/contracts';
import { drainState } from '@modelrun/run-control';

const proc = (takingRuns: boolean, slotsBusy: number): WorkerProcessRecord => ({
  instanceId: `h:${slotsBusy}`,
  pid: 1,
  hostname: 'h',
  version: '0.1.0',
  concurrency: 2,
  slotsBusy,
  queues: ['runs'],
  metricsUrl: 'http://127.0.0.1:9464',
  startedAt: new Date(0).toISOString(),
  lastHeartbeat: new Date(0).toISOString(),
  takingRuns,
  engineUp: true,
  volumeWritable: true,
});

describe('drainState', () => {
  const asked = { at: new Date(0).toISOString() };

  it('is active without a drain request, whatever runs', () => {
    assert.equal(drainState(undefined, [proc(true, 2)]), 'active');
  });

  it('is draining while a process still runs something or has not stopped taking runs', () => {
    assert.equal(drainState(asked, [proc(false, 0), proc(false, 1)]), 'draining');
    assert.equal(drainState(asked, [proc(true, 0)]), 'draining');
  });

  it('is drained once every process stopped taking runs and runs none, or none is left', () => {
    assert.equal(drainState(asked, [proc(false, 0), proc(false, 0)]), 'drained');
    assert.equal(drainState(asked, []), 'drained');
  });
});
