import assert from 'node:assert/strict';
import { type PullAheadState, type WaitingRun, planPullAhead } from '../../../apps/worker/src/pull-ahead/planner';

const MB = 1024 * 1024;
const runs = (...images: string[]): WaitingRun[] => images.map((image) => ({ image, gpus: 0 }));
const empty: PullAheadState = { inFlight: [], pulledAhead: new Map(), resting: new Set(), sizes: new Map() };
const anyRun = (): boolean => true;
const limits = { images: 3, bytes: 500 * MB, parallel: 1 };

describe('pull-ahead planner', () => {
  it('pulls the first image at the head of the queue, one at a time', () => {
    const plan = planPullAhead(runs('a', 'a', 'b', 'c', 'd'), anyRun, empty, limits);
    assert.deepEqual(plan.window, ['a', 'b', 'c']);
    assert.deepEqual(plan.pull, [{ image: 'a', maxBytes: 500 * MB }]);
    assert.deepEqual(
      planPullAhead(runs('a', 'b', 'c'), anyRun, empty, { ...limits, parallel: 2 }).pull.map((p) => p.image),
      ['a', 'b'],
    );
  });

  it('looks no further than PULL_AHEAD_IMAGES distinct images', () => {
    const state = {
      ...empty,
      pulledAhead: new Map([
        ['a', 10 * MB],
        ['b', 10 * MB],
      ]),
    };
    assert.deepEqual(planPullAhead(runs('a', 'a', 'b', 'c'), anyRun, state, { ...limits, images: 2 }).pull, []);
    assert.deepEqual(
      planPullAhead(runs('a', 'a', 'b', 'c'), anyRun, state, limits).pull.map((p) => p.image),
      ['c'],
    );
  });

  it('never starts a pull of an image already being pulled, by a run or ahead, nor more than `parallel` ahead', () => {
    const byRun = { ...empty, inFlight: [{ image: 'a', ahead: false, bytesKnown: 50 * MB }] };
    assert.deepEqual(
      planPullAhead(runs('a', 'b'), anyRun, byRun, limits).pull.map((p) => p.image),
      ['b'],
    );
    const ahead = { ...empty, inFlight: [{ image: 'a', ahead: true, bytesKnown: 50 * MB }] };
    assert.deepEqual(planPullAhead(runs('a', 'b'), anyRun, ahead, limits).pull, []);
  });

  it('skips images this worker could not take, and ones resting after a failure or found present', () => {
    const cpuOnly = (r: WaitingRun): boolean => r.gpus === 0;
    const waiting: WaitingRun[] = [{ image: 'g', gpus: 1 }, ...runs('x', 'y')];
    const plan = planPullAhead(waiting, cpuOnly, { ...empty, resting: new Set(['x']) }, limits);
    assert.deepEqual(plan.window, ['x', 'y']);
    assert.deepEqual(
      plan.pull.map((p) => p.image),
      ['y'],
    );
  });

  it('keeps the bytes pulled ahead for waiting runs under the cap, and passes the room left to the pull', () => {
    const state = { ...empty, pulledAhead: new Map([['a', 300 * MB]]), inFlight: [{ image: 'z', ahead: false, bytesKnown: 900 * MB }] };
    const plan = planPullAhead(runs('a', 'b'), anyRun, state, limits);
    assert.equal(plan.aheadBytes, 300 * MB, "a run's own pull is not pull-ahead's budget");
    assert.deepEqual(plan.pull, [{ image: 'b', maxBytes: 200 * MB }]);
    const full = { ...empty, pulledAhead: new Map([['a', 500 * MB]]) };
    assert.deepEqual(planPullAhead(runs('a', 'b'), anyRun, full, limits).pull, []);
  });

  it('frees the budget once the runs of a pulled-ahead image have left the queue', () => {
    const state = { ...empty, pulledAhead: new Map([['a', 500 * MB]]) };
    const plan = planPullAhead(runs('b'), anyRun, state, limits);
    assert.equal(plan.aheadBytes, 0);
    assert.deepEqual(plan.pull, [{ image: 'b', maxBytes: 500 * MB }]);
  });

  it('passes over an image known to be too large for the room left, for a smaller one behind it', () => {
    const state = { ...empty, sizes: new Map([['big', 800 * MB]]) };
    assert.deepEqual(
      planPullAhead(runs('big', 'small'), anyRun, state, limits).pull.map((p) => p.image),
      ['small'],
    );
  });
});
