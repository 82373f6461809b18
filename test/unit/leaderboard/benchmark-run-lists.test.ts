import assert from 'node:assert/strict';
import { type BenchmarkDefinition, type RunSummary, newRunId } from '@modelrun/contracts';
import { RunIndex } from '@modelrun/leaderboard';
import { DIGITS } from '../../fixtures/benchmark-definition';

const PHASED: BenchmarkDefinition = {
  ...DIGITS,
  phases: [
    { name: 'development', start: '2027-01-01T00:00:00Z', end: '2027-02-01T00:00:00Z' },
    { name: 'final', start: '2027-02-01T00:00:00Z', end: '2027-03-01T00:00:00Z' },
  ],
};
const OTHER: BenchmarkDefinition = { ...DIGITS, name: 'other' };

let clock = Date.parse('2027-01-01T00:00:00Z');
function run(name: string, benchmark: string | undefined, at?: number): RunSummary {
  clock += 1000;
  const createdAt = new Date(at ?? clock).toISOString();
  return {
    id: newRunId(),
    name,
    image: 'm:1',
    ...(benchmark !== undefined && { benchmark, metrics: { accuracy: 0.5 } }),
    status: 'succeeded',
    score: 0.5,
    createdAt,
    finishedAt: createdAt,
  };
}

/** Every run of a benchmark (and phase) the slow way: a walk of every model's runs. */
function walkAll(index: RunIndex, benchmark: string, phase?: string): string[] {
  const ids: string[] = [];
  for (const name of index.modelNames()) {
    for (const r of index.getModel(name)!.runs) {
      const inPhase = phase === undefined || PHASED.phases!.find((p) => p.name === phase && Date.parse(p.start) <= Date.parse(r.createdAt) && Date.parse(r.createdAt) < Date.parse(p.end));
      if (r.benchmark === benchmark && inPhase) ids.push(r.id);
    }
  }
  return ids.sort();
}
const listed = (index: RunIndex, benchmark: string, phase?: string) => [...index.benchmarkRuns(benchmark, phase)].map((r) => r.id).sort();

describe("the index's run list per benchmark and phase (issue 19)", () => {
  it('holds exactly the runs a walk of every run finds, through upserts, replacements, removals, a snapshot-style load and a clear', () => {
    const index = new RunIndex([{ ...DIGITS, phases: PHASED.phases }, OTHER]);
    const runs: RunSummary[] = [];
    for (let i = 0; i < 300; i++) runs.push(run(`m${i % 17}`, i % 3 === 0 ? 'digits' : i % 3 === 1 ? 'other' : undefined, Date.parse('2027-01-01T00:00:00Z') + i * 3 * 3600_000));
    for (const r of runs) index.upsert(r);
    index.upsert({ ...runs[0]!, status: 'failed' });
    for (const r of runs.slice(10, 60)) if (r.id.endsWith('0') || r.id.endsWith('5')) index.remove(r.id);
    index.addModel('loaded', [run('loaded', 'digits', Date.parse('2027-02-10T00:00:00Z')), run('loaded', 'other')]);
    for (const [b, p] of [
      ['digits', undefined],
      ['digits', 'development'],
      ['digits', 'final'],
      ['other', undefined],
    ] as const) {
      assert.deepEqual(listed(index, b, p), walkAll(index, b, p), `${b} ${p ?? ''}`);
    }
    assert.ok(listed(index, 'digits', 'final').length > 0 && listed(index, 'digits', 'development').length > 0);
    assert.equal(index.getRun(runs[0]!.id)?.status, 'failed', 'the list holds the replaced summary');
    assert.equal([...index.benchmarkRuns('digits')].find((r) => r.id === runs[0]!.id)?.status, 'failed');
    const before = index.benchmarkVersion('digits');
    index.clear();
    assert.deepEqual(listed(index, 'digits'), []);
    assert.notEqual(index.benchmarkVersion('digits'), before);
  });

  it("moves a benchmark's version only when one of its runs changes", () => {
    const index = new RunIndex([DIGITS, OTHER]);
    index.upsert(run('a', 'digits'));
    const v = index.benchmarkVersion('digits');
    index.upsert(run('a', 'other'));
    index.upsert(run('b', undefined));
    assert.equal(index.benchmarkVersion('digits'), v);
    const r = run('c', 'digits');
    index.upsert(r);
    assert.ok(index.benchmarkVersion('digits') > v);
    const w = index.benchmarkVersion('digits');
    index.remove(r.id);
    assert.ok(index.benchmarkVersion('digits') > w);
  });

  it('reads a benchmark of 100 runs among 30,000 without walking the others (timed against the walk)', () => {
    const index = new RunIndex([DIGITS, OTHER]);
    // Loaded as a snapshot is, one model at a time (ids are time-ordered, so each model's runs are in order).
    for (let m = 0; m < 300; m++)
      index.addModel(
        `m${m}`,
        Array.from({ length: 100 }, (_, i) => run(`m${m}`, i % 2 === 0 ? 'other' : undefined)),
      );
    for (let i = 0; i < 100; i++) index.upsert(run(`m${i}`, 'digits'));
    const time = (f: () => number, n: number): { ms: number; count: number } => {
      let count = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) count = f();
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6 / n, count };
    };
    const list = time(() => [...index.benchmarkRuns('digits')].length, 200);
    let visited = 0;
    const walk = time(() => {
      let n = 0;
      for (const name of index.modelNames()) for (const r of index.getModel(name)!.runs) if ((visited++, r.benchmark === 'digits')) n++;
      return n;
    }, 3);
    assert.equal(list.count, 100);
    assert.equal(walk.count, 100);
    assert.equal(visited / 3, 30_100, 'the walk visits every run in the index');
    console.log(
      `      benchmark of 100 runs among 30,100: its list ${list.ms.toFixed(3)} ms (100 runs visited), a walk of every run ${walk.ms.toFixed(2)} ms (30,100 visited, copying each model's page)`,
    );
    assert.ok(list.ms * 20 < walk.ms, `list ${list.ms} ms, walk ${walk.ms} ms`);
  });
});
