import assert from 'node:assert/strict';
import { type RunRecord, viewOfRecord } from '@modelrun/contracts';
import type { Context } from '../../../apps/cli/src/context';
import { formatOutcome, formatRun } from '../../../apps/cli/src/output/run-report';

// A model that exits within milliseconds: Docker's stamps give it 0 ms, while its result came
// about a second after submission. Both times are shown, each named, so neither reads as a bug.
const record: RunRecord = {
  version: 1,
  id: '01a24c7f-64fb-7530-8030-d1a87e78a234',
  name: 'fast',
  image: 'team/fast:1',
  status: 'succeeded',
  score: 0.71,
  exitCode: 0,
  limits: { timeoutSeconds: 60, memoryMb: 256, cpus: 1, gpus: 0 },
  createdAt: '2026-12-01T12:00:00.000Z',
  startedAt: '2026-12-01T12:00:01.100Z',
  finishedAt: '2026-12-01T12:00:01.100Z',
  durationMs: 0,
  attempts: 1,
};
const ctx = { style: { bold: String, dim: String, red: String, green: String, yellow: String } } as unknown as Context;

describe("a run's two times", () => {
  it("the API's view names the model's time and the time from submission to result, and keeps durationMs", () => {
    const view = viewOfRecord(record);
    assert.equal(view.ranMs, 0);
    assert.equal(view.turnaroundMs, 1100);
    assert.equal(view.durationMs, 0);
  });

  it('the CLI says both when a run it waited for ends', () => {
    assert.equal(formatOutcome(ctx, viewOfRecord(record)), 'succeeded in 1.1 s from submission (the model ran 0.0 s): score 0.71\n');
  });

  it("the CLI names both in a run's report", () => {
    const text = formatRun(ctx, viewOfRecord(record));
    assert.match(text, /^model ran: +0\.0 s$/m);
    assert.match(text, /^submission to result: 1\.1 s$/m);
  });

  it("reads an older API's view, with durationMs alone", () => {
    const { ranMs: _r, turnaroundMs: _t, ...old } = viewOfRecord(record);
    assert.equal(formatOutcome(ctx, old), 'succeeded (the model ran 0.0 s): score 0.71\n');
  });
});
