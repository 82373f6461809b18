import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Worker } from 'bullmq';
import { createLogger } from '@modelrun/logger';
import { RESCORE_QUEUE } from '@modelrun/contracts';
import { RescoreGate, mayTakeRescore } from '../../../apps/worker/src/rescore-gate';
import { RunIntake } from '../../../apps/worker/src/run-intake';

/** The part of a BullMQ consumer the gate and the intake drive: its events, run state, pause and concurrency. */
class FakeConsumer extends EventEmitter {
  running = false;
  paused = false;
  concurrency = 1;
  resumes = 0;
  constructor(readonly name: string) {
    super();
  }
  isRunning(): boolean {
    return this.running;
  }
  isPaused(): boolean {
    return this.paused;
  }
  async pause(): Promise<void> {
    this.paused = true;
  }
  async resume(): Promise<void> {
    this.resumes++;
    this.paused = false;
    this.running = true;
  }
  /** Taking re-scores now: running and not paused. */
  get open(): boolean {
    return this.running && !this.paused;
  }
}
const asWorker = (c: FakeConsumer) => c as unknown as Worker;
const settle = () => new Promise((r) => setImmediate(r));
const silent = createLogger({ service: 't', level: 'error', format: 'json', silent: true });

function setup(slots: number, waiting = { n: 0 }) {
  const intake = new RunIntake();
  const runs = new FakeConsumer('runs');
  const rescores = new FakeConsumer(RESCORE_QUEUE);
  intake.consumers.push(asWorker(runs));
  intake.shareCpuSlots(slots, asWorker(runs));
  const reads = { n: 0 };
  const gate = new RescoreGate({
    intake,
    runs: asWorker(runs),
    rescores: asWorker(rescores),
    runsWaiting: async () => {
      reads.n++;
      return waiting.n;
    },
    log: silent,
  });
  gate.start();
  return { intake, runs, rescores, gate, reads, waiting };
}

describe('re-scores strictly behind submissions (mayTakeRescore)', () => {
  const table: [string, Parameters<typeof mayTakeRescore>[0], boolean][] = [
    ['a free slot and the runs queue drained: yes', { refusing: false, freeSlots: 1, runsDrained: true }, true],
    ['submissions may still wait (the runs consumer has not found its queue empty): no', { refusing: false, freeSlots: 3, runsDrained: false }, false],
    ['every slot busy: no', { refusing: false, freeSlots: 0, runsDrained: true }, false],
    ['the worker refuses runs (its volume, its engine, a drain): no', { refusing: true, freeSlots: 2, runsDrained: true }, false],
  ];
  for (const [what, state, expected] of table) it(what, () => assert.equal(mayTakeRescore(state), expected));
});

describe('RescoreGate: opens the re-score consumer only when a slot is free and no submission waits', () => {
  it('stays shut while the runs consumer takes submissions, and opens once it finds its queue empty', async () => {
    const { intake, runs, rescores, gate } = setup(1);
    assert.equal(rescores.open, false, 'shut at start: not run until the runs queue is seen empty');
    runs.emit('active');
    intake.cpuRun('runs', 1);
    runs.emit('drained');
    await settle();
    assert.equal(rescores.open, false, 'the queue is empty but the one slot is busy');
    assert.equal(gate.admits(), false);
    intake.cpuRun('runs', -1);
    await settle();
    assert.equal(rescores.open, true, 'the slot is free and nothing waits');
    assert.equal(gate.admits(), true);
  });

  it('stays shut when the one read says submissions wait, until the runs consumer drains again', async () => {
    const { runs, rescores, reads, waiting } = setup(2, { n: 3 });
    runs.emit('drained');
    await settle();
    assert.equal(reads.n, 1);
    assert.equal(rescores.open, false);
    waiting.n = 0;
    runs.emit('active');
    runs.emit('drained');
    await settle();
    assert.equal(rescores.open, true);
  });

  it('shuts when a submission is taken while re-scores are being taken, and gives them as many at once as there are free slots', async () => {
    const { intake, runs, rescores } = setup(4);
    runs.emit('drained');
    await settle();
    assert.deepEqual([rescores.open, rescores.concurrency], [true, 4]);
    rescores.emit('active');
    intake.cpuRun(RESCORE_QUEUE, 1);
    assert.equal(rescores.concurrency, 3, 'a running re-score holds a slot');
    assert.equal(runs.concurrency, 3, 'and the runs consumer has one fewer');
    runs.emit('active');
    assert.equal(rescores.open, false, 'a submission came: others may wait behind it');
  });

  it('leaves an idle consumer open through submissions; a re-score it fetches then is refused (admits) and shuts it (shut)', async () => {
    const { runs, rescores, gate, reads } = setup(2);
    runs.emit('drained');
    await settle();
    rescores.emit('drained');
    for (let i = 0; i < 3; i++) {
      runs.emit('active');
      assert.equal(rescores.open, true, 'nothing to take: not closed and opened again per run');
      runs.emit('drained');
      await settle();
    }
    assert.equal(reads.n, 1, 'one read, when it first opened');
    runs.emit('active');
    rescores.emit('active');
    assert.equal(gate.admits(), false, 'a submission may wait: the fetched re-score goes back');
    gate.shut();
    assert.equal(rescores.open, false);
    runs.emit('drained');
    await settle();
    assert.equal(rescores.open, true, 'open again once the runs queue drains');
    assert.equal(reads.n, 2);
  });

  it('shuts while the worker refuses runs', async () => {
    const { intake, runs, rescores } = setup(2);
    runs.emit('drained');
    await settle();
    assert.equal(rescores.open, true);
    intake.refuse('drain', 'drained by an operator');
    assert.equal(rescores.open, false);
    intake.refuse('drain', undefined);
    await settle();
    assert.equal(rescores.open, true);
  });

  it('reads Redis once to open, not on every change while open or shut', async () => {
    const { intake, runs, reads } = setup(4);
    intake.cpuRun('runs', 1);
    intake.cpuRun('runs', -1);
    assert.equal(reads.n, 0, 'never while submissions may wait');
    runs.emit('drained');
    await settle();
    for (let i = 0; i < 5; i++) {
      intake.cpuRun(RESCORE_QUEUE, 1);
      intake.cpuRun(RESCORE_QUEUE, -1);
    }
    assert.equal(reads.n, 1);
  });
});
