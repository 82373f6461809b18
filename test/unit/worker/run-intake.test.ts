import assert from 'node:assert/strict';
import type { Worker } from 'bullmq';
import { RunIntake } from '../../../apps/worker/src/run-intake';

/** The part of a BullMQ consumer RunIntake drives: its local pause and its concurrency. */
function consumer(name: string, concurrency: number) {
  const c = {
    name,
    concurrency,
    paused: false,
    isPaused: () => c.paused,
    pause: async () => {
      c.paused = true;
    },
    resume: () => {
      c.paused = false;
    },
  };
  return c;
}
const asWorker = (c: ReturnType<typeof consumer>) => c as unknown as Worker;

describe('RunIntake: the CPU queues of a worker share its WORKER_CONCURRENCY slots', () => {
  it('gives runs the slots the routed queues leave, and pauses the routed ones while every slot is busy', () => {
    const intake = new RunIntake();
    const runs = consumer('runs', 2);
    const routed = consumer('runs@reference=x', 2);
    intake.consumers.push(asWorker(runs));
    intake.shareCpuSlots(2, asWorker(runs));
    intake.adopt(asWorker(routed), 'cpu');
    assert.equal(runs.concurrency, 2);

    intake.cpuRun('runs@reference=x', 1);
    assert.equal(runs.concurrency, 1, 'one slot left for runs');
    assert.equal(routed.paused, false);
    intake.cpuRun('runs', 1);
    assert.equal(routed.paused, true, 'both slots busy: the routed queue fetches nothing');
    assert.equal(runs.paused, false, 'runs is held by its concurrency, never paused (its stalled checks go on)');
    intake.cpuRun('runs@reference=x', -1);
    assert.equal(routed.paused, false);
    assert.equal(runs.concurrency, 2);
  });

  it('keeps runs at one run at least, and a refusal pauses every consumer until it clears', () => {
    const intake = new RunIntake();
    const runs = consumer('runs', 1);
    const routed = consumer('runs@zone=a', 1);
    const gpu = consumer('runs-gpu@zone=a', 1);
    intake.consumers.push(asWorker(runs));
    intake.shareCpuSlots(1, asWorker(runs));
    intake.adopt(asWorker(routed), 'cpu');
    intake.adopt(asWorker(gpu));
    intake.cpuRun('runs@zone=a', 1);
    assert.equal(runs.concurrency, 1);
    assert.equal(gpu.paused, false, 'GPU runs hold devices, not CPU slots');
    intake.refuse('drain', 'drained');
    assert.deepEqual([runs.paused, routed.paused, gpu.paused], [true, true, true]);
    intake.refuse('drain', undefined);
    assert.deepEqual([runs.paused, routed.paused, gpu.paused], [false, true, false], 'the routed queue stays paused: its slot is still busy');
  });
});
