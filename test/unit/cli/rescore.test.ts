import assert from 'node:assert/strict';
import type { RunView } from '@modelrun/contracts';
import type { Context } from '../../../apps/cli/src/context';
import { describe as describeProgress } from '../../../apps/cli/src/commands/rescore';
import { formatRun } from '../../../apps/cli/src/output/run-report';

const RESCORE = '01a24c7f-64fb-7530-8030-d1a87e78a299';
const run: RunView = {
  id: '01a24c7f-64fb-7530-8030-d1a87e78a235',
  name: 'honest',
  image: 'team/m:1',
  benchmark: 'toy',
  status: 'succeeded',
  score: 0.25,
  limits: { timeoutSeconds: 60, memoryMb: 256, cpus: 1, gpus: 0 },
  createdAt: '2026-12-01T12:00:00.000Z',
  finishedAt: '2026-12-01T12:00:05.000Z',
  scoreHistory: [
    { at: '2026-12-01T12:00:05.000Z', score: 0.75, evaluatorImage: `sha256:${'ab'.repeat(32)}` },
    { at: '2026-12-02T09:00:00.000Z', score: 0.25, evaluatorImage: `sha256:${'cd'.repeat(32)}`, rescoreId: RESCORE },
    { at: '2026-12-03T09:00:00.000Z', error: 'the evaluator could not score this run', evaluatorImage: `sha256:${'ef'.repeat(32)}`, rescoreId: RESCORE },
  ],
};
const ctx = { style: { bold: String, dim: String, red: String, green: String, yellow: String } } as unknown as Context;

describe('modelrun rescore and a re-scored run (issue 19)', () => {
  it("modelrun run ID prints the score history: when, score or failure, the evaluator's short digest, which re-score", () => {
    const text = formatRun(ctx, run);
    assert.match(text, /^score history:$/m);
    assert.match(text, /^ {2}2026-12-01T12:00:05\.000Z +0\.75\d* +abababababab +original$/m);
    assert.match(text, new RegExp(`^ {2}2026-12-02T09:00:00\\.000Z +0\\.25\\d* +cdcdcdcdcdcd +${RESCORE}$`, 'm'));
    assert.match(text, /failed: the evaluator could not score this run +efefefefefef/);
  });

  it('a run never re-scored has no history section', () => {
    const { scoreHistory: _h, ...plain } = run;
    assert.doesNotMatch(formatRun(ctx, plain), /score history/);
  });

  it('--wait prints one line of progress per change', () => {
    assert.equal(
      describeProgress({ id: RESCORE, benchmark: 'toy', total: 20, done: 12, changed: 9, unchanged: 2, skipped: 1, failed: 0 }),
      '12/20 done: 9 changed, 2 unchanged, 1 skipped (no kept predictions), 0 failed',
    );
  });
});
