import assert from 'node:assert/strict';
import { runIdAt } from '@modelrun/contracts';
import { RunIndex, type RunSummary } from '@modelrun/leaderboard';

const AT = '2026-03-01T00:00:00.000Z';
const ID = runIdAt(Date.parse(AT));

/** A benchmark run's summary as the index gets it from its record, with or without a private part. */
function scored(privateMetrics?: Record<string, number>): RunSummary & { privateMetrics?: Record<string, number> } {
  const at = AT;
  return { id: ID, name: 'm', image: 'm:1', status: 'succeeded', createdAt: at, finishedAt: at, benchmark: 'b', score: 0.5, metrics: { accuracy: 0.5 }, ...(privateMetrics && { privateMetrics }) };
}

describe("the index's private metrics after a re-score (issue 19)", () => {
  it("drops an older evaluator's private metrics when the record read again has none: the latest scoring is the truth", () => {
    const index = new RunIndex();
    index.upsert(scored({ accuracy: 0.4 }));
    assert.deepEqual(index.privateMetricsOf(ID), { accuracy: 0.4 });
    index.upsert(scored());
    assert.equal(index.privateMetricsOf(ID), undefined);
  });

  it("replaces them with the new evaluator's", () => {
    const index = new RunIndex();
    index.upsert(scored({ accuracy: 0.4 }));
    index.upsert(scored({ accuracy: 0.9 }));
    assert.deepEqual(index.privateMetricsOf(ID), { accuracy: 0.9 });
  });
});
