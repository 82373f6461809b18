import assert from 'node:assert/strict';
import type { Job } from 'bullmq';
import type { RunJobData } from '@modelrun/contracts';
import { progressWriter } from '../../../apps/worker/src/run/progress';
import { testLogger } from '../../helpers/logger';

/** A job whose progress writes finish only when the test says so. */
function slowJob() {
  const written: string[] = [];
  const inFlight: (() => void)[] = [];
  const job = {
    updateProgress: (p: { phase: string }) =>
      new Promise<void>((resolve) => {
        written.push(p.phase);
        inFlight.push(resolve);
      }),
  } as unknown as Job<RunJobData>;
  const finishOne = async (): Promise<void> => {
    inFlight.shift()?.();
    // Let the writer's promise chain run.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { job, written, inFlight, finishOne };
}

describe("a run's progress writer", () => {
  it('writes one phase at a time, in order, the newest replacing any still waiting', async () => {
    const { job, written, inFlight, finishOne } = slowJob();
    const p = progressWriter(job, testLogger('worker'), 0);
    p.write('pulling');
    p.write('starting');
    p.write('running', { containerId: 'c1' });
    assert.deepEqual(written, ['pulling'], 'one write in flight at a time');
    await finishOne();
    assert.deepEqual(written, ['pulling', 'running'], '`starting` was superseded before it could be written');
    p.write('collecting');
    await finishOne();
    assert.deepEqual(written, ['pulling', 'running', 'collecting']);
    await finishOne();
    assert.equal(inFlight.length, 0);
  });

  it('writes at once when nothing is in flight', async () => {
    const { job, written, finishOne } = slowJob();
    const p = progressWriter(job, testLogger('worker'), 0);
    p.write('pulling');
    await finishOne();
    p.write('starting');
    assert.deepEqual(written, ['pulling', 'starting']);
  });

  it('drops a waiting phase once the delivery has ended, and ignores later ones', async () => {
    const { job, written, finishOne } = slowJob();
    const p = progressWriter(job, testLogger('worker'), 0);
    p.write('running');
    p.write('collecting');
    p.close();
    await finishOne();
    p.write('evaluating');
    assert.deepEqual(written, ['running']);
  });

  it('keeps going after a failed write', async () => {
    const written: string[] = [];
    let fail = true;
    const job = {
      updateProgress: async (p: { phase: string }) => {
        written.push(p.phase);
        if (fail) {
          fail = false;
          throw new Error('redis blip');
        }
      },
    } as unknown as Job<RunJobData>;
    const p = progressWriter(job, testLogger('worker'), 0);
    p.write('pulling');
    p.write('starting');
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.deepEqual(written, ['pulling', 'starting']);
  });

  it('writes only the phase that stands for the settle time: quick phases cost one write, a run shorter than it none', async () => {
    const { job, written, finishOne } = slowJob();
    const p = progressWriter(job, testLogger('worker'), 30);
    p.write('pulling');
    p.write('starting');
    p.write('running', { containerId: 'c1' });
    assert.deepEqual(written, [], 'nothing written before the phase has stood');
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(written, ['running']);
    await finishOne();
    p.write('collecting');
    p.close();
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(written, ['running'], 'a phase the delivery ended within is never written');
  });
});
