import assert from 'node:assert/strict';
import { type RunRecord, RunRecord as RunRecordSchema } from '@modelrun/contracts';
import { applyRescore, historyOf, outcomeOf } from '@modelrun/store';
import { succeededRecord } from '../../fixtures/records';

const R1 = '0190a000-0000-7000-8000-000000000001';
const R2 = '0190a000-0000-7000-8000-000000000002';

/** A benchmark run as its first scoring left it. */
function scored(): RunRecord {
  return succeededRecord('m', Date.parse('2026-03-01T00:00:00Z'), {
    benchmark: 'b',
    score: 0.75,
    metrics: { accuracy: 0.75 },
    privateScore: 0.7,
    privateMetrics: { accuracy: 0.7 },
    evaluatorImage: 'sha256:old',
  });
}

describe('a re-scored record (issue 19)', () => {
  it('a record without history has one entry: its original scoring, at its end, by the evaluator that gave it', () => {
    const r = scored();
    assert.deepEqual(historyOf(r), [{ at: r.finishedAt, score: 0.75, metrics: { accuracy: 0.75 }, privateScore: 0.7, privateMetrics: { accuracy: 0.7 }, evaluatorImage: 'sha256:old' }]);
  });

  it("a new score becomes the record's score, metrics, private part and evaluator image; the history keeps both, the record stays valid", () => {
    const { record, outcome } = applyRescore(scored(), { at: '2026-03-02T00:00:00.000Z', rescoreId: R1, score: 0.25, metrics: { accuracy: 0.25 }, evaluatorImage: 'sha256:new' });
    assert.equal(outcome, 'changed');
    assert.equal(record!.score, 0.25);
    assert.deepEqual(record!.metrics, { accuracy: 0.25 });
    assert.equal(record!.privateScore, undefined, 'the new evaluator wrote no private part');
    assert.equal(record!.evaluatorImage, 'sha256:new');
    assert.deepEqual(
      record!.scoreHistory!.map((e) => [e.score, e.evaluatorImage, e.rescoreId]),
      [
        [0.75, 'sha256:old', undefined],
        [0.25, 'sha256:new', R1],
      ],
    );
    RunRecordSchema.parse(record);
  });

  it("is idempotent: a record that has the re-score's entry is not rewritten, and counts as it did the first time", () => {
    const once = applyRescore(scored(), { at: '2026-03-02T00:00:00.000Z', rescoreId: R1, score: 0.25, evaluatorImage: 'sha256:new' });
    const twice = applyRescore(once.record!, { at: '2026-03-03T00:00:00.000Z', rescoreId: R1, score: 0.5, evaluatorImage: 'sha256:new' });
    assert.equal(twice.record, undefined);
    assert.equal(twice.outcome, 'changed');
  });

  it('the same score counts as unchanged; a failed evaluator keeps the score and adds an entry that says so', () => {
    const same = applyRescore(scored(), { at: '2026-03-02T00:00:00.000Z', rescoreId: R1, score: 0.75, privateScore: 0.7, evaluatorImage: 'sha256:new' });
    assert.equal(same.outcome, 'unchanged');
    const failed = applyRescore(same.record!, { at: '2026-03-03T00:00:00.000Z', rescoreId: R2, error: 'the evaluator could not score this run', evaluatorImage: 'sha256:broken' });
    assert.equal(failed.outcome, 'failed');
    assert.equal(failed.record!.score, 0.75, 'the score in force stays');
    assert.equal(failed.record!.evaluatorImage, 'sha256:new', 'and so does the image that gave it');
    assert.equal(failed.record!.scoreHistory!.length, 3);
    assert.equal(failed.record!.scoreHistory![2]!.error, 'the evaluator could not score this run');
    // A later score is compared with the last score given, past the failure.
    assert.equal(outcomeOf([...failed.record!.scoreHistory!, { at: '2026-03-04T00:00:00.000Z', score: 0.75, privateScore: 0.7 }], 3), 'unchanged');
  });

  it("the latest scoring is the whole truth: the new evaluator's details (kept, left out, or none) replace the record's; a failed re-score changes none of it", () => {
    const withDetails = { ...scored(), hasDetails: true };
    const entry = { at: '2026-03-02T00:00:00.000Z', rescoreId: R1, score: 0.25, metrics: { accuracy: 0.25 } };
    const none = applyRescore(withDetails, entry).record!;
    assert.deepEqual(
      [none.hasDetails, none.detailsError, none.privateScore, none.privateMetrics],
      [undefined, undefined, undefined, undefined],
      "no details, no private part: none of the older evaluator's stands",
    );
    assert.equal(applyRescore(withDetails, entry, { hasDetails: true }).record!.hasDetails, true);
    const broken = applyRescore(withDetails, entry, { detailsError: 'details.json: not JSON' }).record!;
    assert.deepEqual([broken.hasDetails, broken.detailsError], [undefined, 'details.json: not JSON']);
    const failed = applyRescore(withDetails, { at: entry.at, rescoreId: R1, error: 'the evaluator failed' }, {}).record!;
    assert.deepEqual([failed.hasDetails, failed.score, failed.privateScore], [true, 0.75, 0.7], 'a failed re-score leaves the score, its private part and its details');
    RunRecordSchema.parse(none);
  });
});
