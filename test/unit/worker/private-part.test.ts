import assert from 'node:assert/strict';
import type { ExitInfo, OutputContents } from '@modelrun/runner';
import { judgeEvaluation } from '../../../apps/worker/src/run/evaluation-outcome';
import { buildRecord } from '../../../apps/worker/src/run/record';
import { viewForWebhook } from '../../../apps/worker/src/webhooks';
import { DIGITS } from '../../fixtures/benchmark-definition';

const LIMITS = { timeoutSeconds: 60, memoryMb: 256, cpus: 1, gpus: 0 };
const exited: ExitInfo = { exitCode: 0, oomKilled: false, timedOut: false, cancelled: false, user: '' };
const scored = (json: object): OutputContents => ({ entries: 1, sample: ['score.json'], totalBytes: 10, score: { file: 'score.json', bytes: Buffer.from(JSON.stringify(json)) } });
const PUBLIC = { score: 0.9, metrics: { accuracy: 0.9, error_rate: 0.1 } };

describe("an evaluator's private part (issue 19)", () => {
  it('is kept as privateScore (the primary metric) and privateMetrics beside the public score', () => {
    const out = judgeEvaluation(DIGITS, exited, scored({ ...PUBLIC, private: { score: 0, metrics: { accuracy: 0.7, error_rate: 0.3 } } }), LIMITS, 0);
    assert.deepEqual(out, { status: 'succeeded', score: 0.9, metrics: PUBLIC.metrics, exitCode: 0, privateScore: 0.7, privateMetrics: { accuracy: 0.7, error_rate: 0.3 } });
    const record = buildRecord(
      { id: '0193a000-0000-7000-8000-000000000000', name: 'm', image: 'm:1', benchmark: 'digits', createdAt: '2026-12-01T00:00:00.000Z' } as never,
      LIMITS,
      out,
      { finishedAt: '2026-12-01T00:00:01.000Z' },
      1,
      [],
    );
    assert.equal(record.score, 0.9);
    assert.equal(record.privateScore, 0.7);
    assert.deepEqual(record.privateMetrics, { accuracy: 0.7, error_rate: 0.3 });
  });

  it('is optional: without it the run is scored as before, with no private fields', () => {
    const out = judgeEvaluation(DIGITS, exited, scored(PUBLIC), LIMITS, 0);
    assert.deepEqual(out, { status: 'succeeded', score: 0.9, metrics: PUBLIC.metrics, exitCode: 0 });
  });

  it('must hold every declared metric: otherwise the evaluator failed, and the operator is told which', () => {
    const out = judgeEvaluation(DIGITS, exited, scored({ ...PUBLIC, private: { score: 0.7, metrics: { accuracy: 0.7 } } }), LIMITS, 0) as { reason?: string; evaluatorError?: string };
    assert.equal(out.reason, 'evaluator_failed');
    assert.match(out.evaluatorError!, /private part lacks the metric error_rate/);
  });

  it('is validated like the public part: a malformed one fails the evaluator', () => {
    for (const bad of [{ score: 'x', metrics: {} }, { score: 1 }, { score: 1, metrics: { accuracy: 1, error_rate: 0 }, extra: 1 }]) {
      const out = judgeEvaluation(DIGITS, exited, scored({ ...PUBLIC, private: bad }), LIMITS, 0) as { reason?: string; evaluatorError?: string };
      assert.equal(out.reason, 'evaluator_failed', JSON.stringify(bad));
      assert.match(out.evaluatorError!, /private/);
    }
  });
});

describe('a webhook of a run with private scores (issue 19)', () => {
  it('carries the public score and metrics, never the private ones', () => {
    const view = viewForWebhook({
      version: 1,
      id: '0193a000-0000-7000-8000-000000000000',
      name: 'm',
      image: 'm:1',
      benchmark: 'digits',
      status: 'succeeded',
      score: 0.9,
      metrics: PUBLIC.metrics,
      limits: LIMITS,
      createdAt: '2026-12-01T00:00:00.000Z',
      finishedAt: '2026-12-01T00:00:01.000Z',
      attempts: 1,
      privateScore: 0.7,
      privateMetrics: { accuracy: 0.7, error_rate: 0.3 },
    });
    assert.equal(view.score, 0.9);
    assert.doesNotMatch(JSON.stringify(view), /private/);
  });
});
