import assert from 'node:assert/strict';
import type { RunView } from '@modelrun/contracts';
import { yRange } from '../../../apps/web/src/ui/chart-range';
import { formatNumber } from '../../../apps/web/src/ui/format';
import { triesOf } from '../../../apps/web/src/ui/retries';
import { checkForm, fieldErrorsOf } from '../../../apps/web/src/ui/submit-check';

const run = (over: Partial<RunView>): RunView => ({
  id: '01a22c75-78ea-787b-b8e8-4314b4859110',
  name: 'm',
  image: 'i',
  status: 'queued',
  limits: { timeoutSeconds: 1, memoryMb: 16, cpus: 1, gpus: 0 },
  createdAt: '2026-11-30T12:00:00.000Z',
  ...over,
});
const failed = (attempt: number) => ({ attempt, at: '2026-11-30T12:00:05.000Z', message: `try ${attempt}: connection refused` });
const NOW = Date.parse('2026-11-30T12:00:06.000Z');

describe('the web app: numbers, retries and the submit form, as people read them', () => {
  it("rounds a model's numbers for reading: whole ones whole, others to four decimals, tiny ones as exponents", () => {
    const table: [number | undefined, string][] = [
      [0.9911111111111112, '0.9911'],
      [1347, '1,347'],
      [553, '553'],
      [2.3456789012345, '2.3457'],
      [0.000694444444444, '6.9e-4'],
      [0, '0'],
      [-0.25, '-0.25'],
      [undefined, '—'],
    ];
    for (const [v, shown] of table) assert.equal(formatNumber(v), shown, String(v));
  });

  it("fits the chart's axis to the values, not to 0-1.5", () => {
    const table: [min: number, max: number, lo: number, hi: number][] = [
      [0.9711, 0.9911, 0.9681, 0.9941],
      [0.99, 0.99, 0.9702, 1],
      [1200, 1500, 1155, 1545],
      [0, 0, 0, 0.01],
    ];
    for (const [min, max, lo, hi] of table) {
      const [a, b] = yRange(min, max);
      assert.ok(Math.abs(a - lo) < 1e-9 && Math.abs(b - hi) < 1e-9, `${min}..${max} gave ${a}..${b}, not ${lo}..${hi}`);
    }
  });

  it('reads a retry as one: which try failed, why, and when the next starts', () => {
    const waiting = triesOf(run({ status: 'queued', attempts: 1, maxAttempts: 5, attemptErrors: [failed(1)], nextAttemptAt: '2026-11-30T12:00:18.000Z' }), NOW);
    assert.deepEqual(waiting.banner, { title: 'Try 1 of 5 failed; try 2 starts in about 12 s', lastError: 'try 1: connection refused' });
    assert.equal(waiting.count, '1 of 5 failed, 2 next');
    assert.equal(triesOf(run({ status: 'queued', attempts: 1, maxAttempts: 5, attemptErrors: [failed(1)] }), NOW).banner?.title, 'Try 1 of 5 failed; try 2 starts when a worker is free');
    assert.equal(triesOf(run({ status: 'running', phase: 'pulling', attempts: 2, maxAttempts: 5, attemptErrors: [failed(1)] }), NOW).banner?.title, 'Try 2 of 5 is running; try 1 failed');
    const everyTry = triesOf(run({ status: 'failed', attempts: 5, attemptErrors: [1, 2, 3, 4, 5].map(failed) }), NOW);
    assert.equal(everyTry.banner, undefined);
    assert.equal(everyTry.summary, 'All 5 tries failed', 'not "5 failed attempt(s) before this one"');
    assert.equal(triesOf(run({ status: 'succeeded', attempts: 2, attemptErrors: [failed(1)] }), NOW).summary, '1 try failed before try 2');
    assert.deepEqual(triesOf(run({ status: 'queued' }), NOW), { count: '—' });
  });

  it('lists every problem of the form at once, in its own words, by field', () => {
    const errors = checkForm(
      { image: '', name: 'Not A Name', benchmark: '', limits: { timeoutSeconds: '1.5', memoryMb: '99999', cpus: '', gpus: '1' } },
      { timeoutSeconds: 3600, memoryMb: 8192, cpus: 4, gpus: 0 },
    );
    assert.deepEqual(Object.keys(errors).sort(), ['image', 'limits.gpus', 'limits.memoryMb', 'limits.timeoutSeconds', 'name']);
    assert.equal(errors['limits.memoryMb'], 'Memory can be at most 8192 MiB here.');
    assert.equal(errors['limits.timeoutSeconds'], 'Time limit must be a whole number of s.');
    assert.equal(errors['limits.gpus'], 'This deployment has no GPUs.');
    assert.deepEqual(
      checkForm({ image: 'a:1', name: 'ok', benchmark: 'digits', limits: { memoryMb: '99999' } }, { timeoutSeconds: 1, memoryMb: 16, cpus: 1, gpus: 0 }),
      {},
      "a benchmark run's limits are the benchmark's",
    );
    const api = fieldErrorsOf([
      { path: 'limits.memoryMb', message: '99999 is over the ceiling of 8192 MiB' },
      { path: 'name', message: 'must be 1-63 of a-z 0-9 . _ -' },
      { path: '', message: 'unknown field: disk' },
    ]);
    assert.deepEqual(api.fields, { 'limits.memoryMb': 'Memory: 99999 is over the ceiling of 8192 MiB.', name: 'Model name: must be 1-63 of a-z 0-9 . _ -.' });
    assert.deepEqual(api.rest, ['unknown field: disk']);
  });
});
