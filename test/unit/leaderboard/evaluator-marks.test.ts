import assert from 'node:assert/strict';
import { type BenchmarkDefinition, type RunRecord, newRunId } from '@modelrun/contracts';
import { RunIndex, currentEvaluators, scoredByOlder, summarize } from '@modelrun/leaderboard';
import { decodeSnapshot, encodeSnapshot } from '../../../packages/leaderboard/src/snapshot-format';
import { DIGITS } from '../../fixtures/benchmark-definition';

const OLD = 'modelrun/digits-evaluator@sha256:' + 'a'.repeat(64);
const NEW = 'sha256:' + 'b'.repeat(64);
const FINAL = 'sha256:' + 'c'.repeat(64);

/** A scored benchmark run's record: finished at `finishedAt`, re-scored at each of `rescores` (time, image). */
function record(name: string, finishedAt: string, image: string, rescores: Array<[string, string, string?]> = []): RunRecord {
  return {
    version: 1,
    id: newRunId(),
    name,
    image: 'm:1',
    benchmark: 'digits',
    status: 'succeeded',
    score: 0.9,
    metrics: { accuracy: 0.9 },
    createdAt: finishedAt,
    finishedAt,
    attempts: 1,
    evaluatorImage: rescores.filter(([, , error]) => error === undefined).at(-1)?.[1] ?? image,
    ...(rescores.length > 0 && {
      scoreHistory: [
        { at: finishedAt, score: 0.9, evaluatorImage: image },
        ...rescores.map(([at, img, error]) => ({ at, evaluatorImage: img, rescoreId: 'r1', ...(error ? { error } : { score: 0.8 }) })),
      ],
    }),
  } as unknown as RunRecord;
}

describe('which runs an older evaluator scored (issue 19)', () => {
  it("summarizes a benchmark run's evaluator and when its current score was given (a failed re-score keeps the score's time)", () => {
    const plain = summarize(record('a', '2027-01-01T00:00:00.000Z', OLD));
    assert.equal(plain.evaluatorImage, OLD);
    assert.equal(plain.scoredAt, '2027-01-01T00:00:00.000Z');
    const rescored = summarize(record('a', '2027-01-01T00:00:00.000Z', OLD, [['2027-01-05T00:00:00.000Z', NEW]]));
    assert.equal(rescored.evaluatorImage, NEW);
    assert.equal(rescored.scoredAt, '2027-01-05T00:00:00.000Z');
    const failed = summarize(record('a', '2027-01-01T00:00:00.000Z', OLD, [['2027-01-05T00:00:00.000Z', NEW, 'evaluator exited 1']]));
    assert.equal(failed.evaluatorImage, OLD);
    assert.equal(failed.scoredAt, '2027-01-01T00:00:00.000Z');
  });

  it('takes the image of the most recently scored or re-scored run as current, and marks the others', () => {
    const a = summarize(record('a', '2027-01-01T00:00:00.000Z', OLD, [['2027-01-05T00:00:00.000Z', NEW]]));
    const b = summarize(record('b', '2027-01-02T00:00:00.000Z', OLD));
    // Submitted after the re-score began, scored by the old image still cached on some host: the re-score is later.
    const c = summarize(record('c', '2027-01-04T00:00:00.000Z', OLD));
    const legacy = { ...summarize(record('d', '2027-01-03T00:00:00.000Z', OLD)), evaluatorImage: undefined };
    const current = currentEvaluators(DIGITS, [a, b, c, legacy]);
    assert.deepEqual([...current], [['benchmark', NEW]]);
    assert.equal(scoredByOlder(DIGITS, current, a), false);
    assert.equal(scoredByOlder(DIGITS, current, b), true);
    assert.equal(scoredByOlder(DIGITS, current, c), true);
    assert.equal(scoredByOlder(DIGITS, current, legacy), undefined, 'a run recorded before evaluator images is not marked');
    assert.equal(scoredByOlder(DIGITS, new Map(), a), undefined);
  });

  it("keeps a phase with its own evaluator apart: its image does not make the other phases' runs old", () => {
    const phased: BenchmarkDefinition = {
      ...DIGITS,
      phases: [
        { name: 'development', start: '2027-01-01T00:00:00Z', end: '2027-02-01T00:00:00Z' },
        { name: 'final', start: '2027-02-01T00:00:00Z', end: '2027-03-01T00:00:00Z', evaluator: { image: 'modelrun/digits-evaluator:final' } },
      ],
    };
    const dev = summarize(record('a', '2027-01-10T00:00:00.000Z', OLD));
    const fin = summarize(record('a', '2027-02-10T00:00:00.000Z', FINAL));
    const current = currentEvaluators(phased, [dev, fin]);
    assert.deepEqual(Object.fromEntries(current), { benchmark: OLD, 'phase:final': FINAL });
    assert.equal(scoredByOlder(phased, current, dev), false);
    assert.equal(scoredByOlder(phased, current, fin), false);
  });

  it('keeps the evaluator image and the scoring time through an index snapshot', () => {
    const index = new RunIndex([DIGITS]);
    const a = summarize(record('a', '2027-01-01T00:00:00.000Z', OLD, [['2027-01-05T00:00:00.000Z', NEW]]));
    const selfScored = { id: newRunId(), name: 'a', image: 'm:1', status: 'succeeded' as const, score: 1, createdAt: '2027-01-06T00:00:00.000Z' };
    index.upsert(a);
    index.upsert(selfScored);
    const file = Buffer.from([...encodeSnapshot(index.finishedRuns())].join(''));
    const restored = new RunIndex([DIGITS]);
    for (const m of decodeSnapshot(file)) restored.addModel(m.name, m.runs);
    assert.equal(restored.getRun(a.id)?.evaluatorImage, NEW);
    assert.equal(restored.getRun(a.id)?.scoredAt, '2027-01-05T00:00:00.000Z');
    assert.equal(restored.getRun(selfScored.id)?.evaluatorImage, undefined);
    assert.deepEqual(restored.getRun(selfScored.id), index.getRun(selfScored.id));
  });
});
