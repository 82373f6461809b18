import assert from 'node:assert/strict';
import { type RetentionSettings, planRetention } from '../../../apps/api/src/services/retention-plan';
import { TimeSlices, sortInSlices } from '../../../apps/api/src/services/time-slices';
import { planRetentionAtOnce } from '../../helpers/retention-plan-at-once';
import { retentionVolume } from '../../helpers/retention-volume';
import { seeded } from '../../helpers/seeded-random';

/** Random settings: each kind's days set or not, a cap or not, sometimes both. */
function settingsFor(random: () => number, bytes: number): RetentionSettings {
  const days: RetentionSettings['days'] = {};
  for (const kind of ['records', 'logs', 'predictions', 'details'] as const) if (random() < 0.5) days[kind] = Math.floor(random() * 800) / (random() < 0.2 ? 2 : 1);
  return random() < 0.6 ? { days, maxBytes: Math.floor(random() * bytes) } : { days };
}

describe('retention: the plan in slices equals the plan in one go (issue 20)', () => {
  it('on 40 varied volumes (many models, ties in finish time, protected and live runs, every setting), with slices of 0 ms, 10 ms and none', async () => {
    const random = seeded(20);
    for (let i = 0; i < 40; i++) {
      const volume = retentionVolume({
        seed: i + 1,
        runs: 1 + Math.floor(random() * 1000),
        models: 1 + Math.floor(random() * 200),
        spanDays: 1 + Math.floor(random() * 900),
        // Coarse ticks make most finish times equal: the order then rests on the run ids.
        tieMs: [1, 60_000, 86_400_000, 30 * 86_400_000][i % 4],
        protectedShare: random() * 0.5,
        liveShare: random() * 0.2,
      });
      const input = { ...volume, settings: settingsFor(random, volume.bytes) };
      const expected = planRetentionAtOnce(input);
      for (const sliceMs of [0, 10, Infinity]) assert.deepEqual(await planRetention(input, { sliceMs }), expected, `volume ${i}, slices of ${sliceMs} ms`);
    }
  });

  it('on a volume of 10,000 runs across 2,000 models, pruned by age and by the cap at once', async () => {
    const volume = retentionVolume({ seed: 7, runs: 10_000, models: 2_000 });
    const input = { ...volume, settings: { days: { predictions: 30, logs: 90, records: 365 }, maxBytes: Math.floor(volume.bytes * 0.02) } };
    const expected = planRetentionAtOnce(input);
    assert.ok(expected.some((f) => f.why === 'age') && expected.some((f) => f.why === 'size') && expected.some((f) => f.kind === 'records'));
    assert.deepEqual(await planRetention(input, { sliceMs: 0 }), expected);
  });

  it('yields to the event loop between slices: timers and I/O callbacks run while a big plan is made; unsliced, none does', async () => {
    const volume = retentionVolume({ seed: 3, runs: 15_000, models: 1_000 });
    const input = { ...volume, settings: { days: { predictions: 30 }, maxBytes: Math.floor(volume.bytes * 0.3) } };
    const ticksWhile = async (sliceMs: number): Promise<number> => {
      let ticks = 0;
      let stop = false;
      const tick = (): void => {
        if (stop) return;
        ticks++;
        setImmediate(tick);
      };
      setImmediate(tick);
      await planRetention(input, { sliceMs });
      stop = true;
      return ticks;
    };
    const sliced = await ticksWhile(1);
    assert.ok(sliced >= 5, `the event loop turned ${sliced} times while the plan was made in slices of 1 ms`);
    assert.equal(await ticksWhile(Infinity), 0);
  });
});

describe('retention: a sort in slices (issue 20)', () => {
  it('gives what the native sort gives, for every size around the chunk and its powers of two, and pauses when a slice is spent', async () => {
    const random = seeded(5);
    // A total order with many equal keys: the index breaks the tie.
    const compare = (a: [number, number], b: [number, number]): number => a[0] - b[0] || a[1] - b[1];
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257, 1000]) {
      const items = Array.from({ length: n }, (_, i): [number, number] => [Math.floor(random() * 10), i]);
      const slices = new TimeSlices(0, 1);
      assert.deepEqual(await sortInSlices(items, compare, slices, 4), [...items].sort(compare), `n = ${n}`);
      if (n > 4) assert.ok(slices.pauses > 0, `n = ${n}: paused`);
    }
  });
});
