import assert from 'node:assert/strict';
import { type BenchmarkDefinition, type RunSummary, newRunId } from '@modelrun/contracts';
import { RunIndex } from '@modelrun/leaderboard';
import { DIGITS as DIGITS_BENCHMARK } from '../../fixtures/benchmark-definition';

/** With a third metric, one the boards sort lower-first. */
const DIGITS: BenchmarkDefinition = { ...DIGITS_BENCHMARK, metrics: [...DIGITS_BENCHMARK.metrics, { name: 'latency_ms', direction: 'lower' }] };

let clock = Date.parse('2026-11-01T00:00:00Z');
function run(name: string, metrics: Record<string, number> | undefined, more: Partial<RunSummary> = {}): RunSummary {
  clock += 1000;
  return {
    id: newRunId(),
    name,
    image: 'team/model:1',
    benchmark: 'digits',
    status: 'succeeded',
    ...(metrics && { score: metrics.accuracy, metrics }),
    createdAt: new Date(clock).toISOString(),
    finishedAt: new Date(clock).toISOString(),
    ...more,
  };
}

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('benchmark leaderboards', () => {
  it("ranks 10,000 runs: each model's best by the primary metric, sorted by every metric both ways, ties to the earlier run", () => {
    const index = new RunIndex([DIGITS]);
    const rnd = random(42);
    const all: RunSummary[] = [];
    for (let i = 0; i < 10_000; i++) {
      // Coarse values, so ties happen often and the tie rule is exercised.
      const accuracy = Math.round(rnd() * 50) / 50;
      const r = run(`m${Math.floor(rnd() * 2_000)}`, { accuracy, error_rate: Math.round((1 - accuracy) * 50) / 50, ...(rnd() < 0.9 && { latency_ms: Math.round(rnd() * 20) }) });
      all.push(r);
      index.upsert(r);
    }
    // Failed and self-scored runs never reach the board.
    index.upsert(run('m1', undefined, { status: 'failed', reason: 'bad_output' }));
    index.upsert({ ...run('m1', { accuracy: 1, error_rate: 0 }), benchmark: undefined } as RunSummary);

    // Expected, the slow way: each model's best run, then each ordering by sorting.
    const best = new Map<string, RunSummary>();
    for (const r of all) {
      const b = best.get(r.name);
      if (!b || r.metrics!.accuracy! > b.metrics!.accuracy!) best.set(r.name, r);
    }
    for (const metric of ['accuracy', 'error_rate', 'latency_ms']) {
      for (const order of ['best', 'worst'] as const) {
        const higher = (metric === 'accuracy') === (order === 'best');
        const expected = [...best.values()].sort((a, b) => {
          const va = a.metrics![metric];
          const vb = b.metrics![metric];
          if (va === undefined || vb === undefined) return va === vb ? (a.id < b.id ? -1 : 1) : va === undefined ? 1 : -1;
          return (higher ? vb - va : va - vb) || (a.id < b.id ? -1 : 1);
        });
        const listed = index.boards.list('digits', { sort: metric, order, limit: 100_000, offset: 0 })!;
        assert.equal(listed.total, best.size);
        assert.deepEqual(
          listed.entries.map((e) => e.best.id),
          expected.map((r) => r.id),
          `${metric} ${order}`,
        );
      }
    }
    const m1 = index.boards.list('digits', { sort: 'accuracy', order: 'best', limit: 100_000, offset: 0 })!.entries.find((e) => e.name === 'm1');
    assert.equal(m1?.scoredRuns, all.filter((r) => r.name === 'm1').length, 'only succeeded benchmark runs are counted');
  });

  it('keeps the earlier of two equally good runs as the best, and a page is a slice of the order', () => {
    const index = new RunIndex([DIGITS]);
    const first = run('a', { accuracy: 0.9, error_rate: 0.1, latency_ms: 5 });
    const later = run('a', { accuracy: 0.9, error_rate: 0.1, latency_ms: 1 });
    index.upsert(first);
    index.upsert(later);
    index.upsert(run('b', { accuracy: 0.9, error_rate: 0.1, latency_ms: 3 }));
    index.upsert(run('c', { accuracy: 0.95, error_rate: 0.05, latency_ms: 9 }));
    const page = index.boards.list('digits', { sort: 'accuracy', order: 'best', limit: 2, offset: 1 })!;
    assert.deepEqual(
      page.entries.map((e) => [e.name, e.best.id]),
      [
        ['a', first.id],
        ['b', page.entries[1]!.best.id],
      ],
    );
    assert.equal(page.total, 3);
    assert.deepEqual(
      index.boards.list('digits', { sort: 'latency_ms', order: 'best', limit: 10, offset: 0 })!.entries.map((e) => e.name),
      ['b', 'a', 'c'],
    );
  });

  it('follows a board as runs finish: a better run moves its model up', () => {
    const index = new RunIndex([DIGITS]);
    index.upsert(run('a', { accuracy: 0.5, error_rate: 0.5 }));
    index.upsert(run('b', { accuracy: 0.6, error_rate: 0.4 }));
    const names = () => index.boards.list('digits', { sort: 'accuracy', order: 'best', limit: 10, offset: 0 })!.entries.map((e) => e.name);
    assert.deepEqual(names(), ['b', 'a']);
    index.upsert(run('a', { accuracy: 0.7, error_rate: 0.3 }));
    assert.deepEqual(names(), ['a', 'b']);
  });

  it('has no board for an unknown benchmark or metric', () => {
    const index = new RunIndex([DIGITS]);
    assert.equal(index.boards.list('other', { sort: 'accuracy', order: 'best', limit: 1, offset: 0 }), undefined);
    assert.equal(index.boards.list('digits', { sort: 'f1', order: 'best', limit: 1, offset: 0 }), undefined);
  });
});
