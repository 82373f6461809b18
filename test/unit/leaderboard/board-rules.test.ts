import assert from 'node:assert/strict';
import { type BenchmarkDefinition, type RunSummary, newRunId } from '@modelrun/contracts';
import { RunIndex, chooseRuns, sortRuled } from '@modelrun/leaderboard';
import { decodeSnapshot, encodeSnapshot } from '../../../packages/leaderboard/src/snapshot-format';
import { DIGITS } from '../../fixtures/benchmark-definition';

let clock = Date.parse('2026-11-01T00:00:00Z');
/** A scored run of `name`: public accuracy `pub`, private accuracy `priv` (none when undefined). */
function run(name: string, pub: number, priv?: number, more: Partial<RunSummary> = {}): RunSummary & { privateMetrics?: Record<string, number> } {
  clock += 1000;
  return {
    id: newRunId(),
    name,
    image: 'team/model:1',
    benchmark: 'digits',
    status: 'succeeded',
    score: pub,
    metrics: { accuracy: pub, error_rate: 1 - pub },
    createdAt: new Date(clock).toISOString(),
    finishedAt: new Date(clock).toISOString(),
    ...(priv !== undefined && { privateMetrics: { accuracy: priv, error_rate: 1 - priv } }),
    ...more,
  };
}

const withRule = (rule: 'best' | 'last' | 'selected', selectLimit?: number): BenchmarkDefinition => ({ ...DIGITS, board: { rule, ...(selectLimit && { selectLimit }) } });

/** Each model's chosen run id and ranking accuracy, best first. */
function board(definition: BenchmarkDefinition, index: RunIndex, which: 'public' | 'private', selected: string[] = []): Array<[string, string, number]> {
  const runs = [...index.benchmarkRuns('digits')].map((r) => ({ run: r, privateMetrics: index.privateMetricsOf(r.id) }));
  const entries = sortRuled(chooseRuns({ definition, runs, board: which, selected: new Set(selected) }), 'accuracy', 'higher');
  return entries.map((e) => [e.name, e.best.id, e.metrics.accuracy!]);
}

/** The index written to a snapshot and loaded into a fresh one, as an API restart does. */
function throughSnapshot(index: RunIndex): RunIndex {
  const file = Buffer.from([...encodeSnapshot(index.finishedRuns())].join(''));
  const restored = new RunIndex([DIGITS]);
  for (const m of decodeSnapshot(file)) restored.addModel(m.name, m.runs);
  return restored;
}

describe('board rules and the private board (issue 19)', () => {
  // a: a lucky public best (0.9 public, 0.5 private), then a steadier last run (0.8 / 0.8).
  // b: one run (0.85 / 0.7). c: a failed run and a run with no private part.
  const index = new RunIndex([DIGITS]);
  const a1 = run('a', 0.9, 0.5);
  const a2 = run('a', 0.8, 0.8);
  const b1 = run('b', 0.85, 0.7);
  const c1 = run('c', 0.6);
  const cFailed = run('c', 0.99, 0.99, { status: 'failed', reason: 'bad_output' });
  for (const r of [a1, a2, b1, c1, cFailed]) index.upsert(r);

  it('keeps private metrics out of every summary the index serves, and in its side table', () => {
    assert.equal('privateMetrics' in index.getRun(a1.id)!, false);
    assert.equal(JSON.stringify(index.getModel('a')).includes('privateMetrics'), false);
    assert.equal(JSON.stringify(index.listModels({ sort: 'score', order: 'desc', limit: 10, offset: 0 })).includes('privateMetrics'), false);
    assert.deepEqual(index.privateMetricsOf(a1.id), { accuracy: 0.5, error_rate: 0.5 });
    assert.equal(index.privateMetricsOf(c1.id), undefined);
  });

  it('best: the public board ranks each model by its best public run; the private board shows that run by its private score', () => {
    assert.deepEqual(board(withRule('best'), index, 'public'), [
      ['a', a1.id, 0.9],
      ['b', b1.id, 0.85],
      ['c', c1.id, 0.6],
    ]);
    // c's best run has no private part: it is left off the private board.
    assert.deepEqual(board(withRule('best'), index, 'private'), [
      ['b', b1.id, 0.7],
      ['a', a1.id, 0.5],
    ]);
    // A benchmark without a board rule is `best`.
    assert.deepEqual(board(DIGITS, index, 'private'), board(withRule('best'), index, 'private'));
  });

  it("last: each model's latest succeeded run, on both boards (a later failed run does not count)", () => {
    assert.deepEqual(board(withRule('last'), index, 'public'), [
      ['b', b1.id, 0.85],
      ['a', a2.id, 0.8],
      ['c', c1.id, 0.6],
    ]);
    assert.deepEqual(board(withRule('last'), index, 'private'), [
      ['a', a2.id, 0.8],
      ['b', b1.id, 0.7],
    ]);
  });

  it('selected: the public board ranks the best; the private board the selected runs, or the best public ones when none is selected', () => {
    assert.deepEqual(board(withRule('selected', 1), index, 'public'), board(withRule('best'), index, 'public'));
    // None selected, limit 1: a's best public run (a1, 0.5 private) stands for it.
    assert.deepEqual(board(withRule('selected', 1), index, 'private'), [
      ['b', b1.id, 0.7],
      ['a', a1.id, 0.5],
    ]);
    // a selected a2: it stands for a.
    assert.deepEqual(board(withRule('selected', 1), index, 'private', [a2.id]), [
      ['a', a2.id, 0.8],
      ['b', b1.id, 0.7],
    ]);
    // None selected, limit 2: a's two best public runs, the better of them by the private score.
    assert.deepEqual(board(withRule('selected', 2), index, 'private')[0], ['a', a2.id, 0.8]);
  });

  it('sorts the private board by any metric in its direction', () => {
    const runs = [...index.benchmarkRuns('digits')].map((r) => ({ run: r, privateMetrics: index.privateMetricsOf(r.id) }));
    const byError = sortRuled(chooseRuns({ definition: withRule('last'), runs, board: 'private' }), 'error_rate', 'lower');
    assert.deepEqual(
      byError.map((e) => e.name),
      ['a', 'b'],
    );
  });

  it('keeps private metrics through an index snapshot', () => {
    const restored = throughSnapshot(index);
    assert.deepEqual(restored.privateMetricsOf(a2.id), index.privateMetricsOf(a2.id));
    assert.equal(restored.privateMetricsOf(a2.id)?.accuracy, 0.8);
    assert.equal('privateMetrics' in restored.getRun(a2.id)!, false);
    assert.equal(restored.privateMetricsOf(c1.id), undefined);
    assert.deepEqual(board(withRule('last'), restored, 'private'), board(withRule('last'), index, 'private'));
  });
});
