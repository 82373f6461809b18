import assert from 'node:assert/strict';
import { type BenchmarkDefinition, type RunSummary, runIdAt } from '@modelrun/contracts';
import { RunIndex } from '@modelrun/leaderboard';
import { type KeptFile, type PlanInput, type RetentionKind, planRetention } from '../../../apps/api/src/services/retention-plan';
import { standingRuns } from '../../../apps/api/src/services/standing-runs';
import { DIGITS } from '../../fixtures/benchmark-definition';

const DAY = 86_400_000;
const NOW = Date.parse('2027-01-31T00:00:00Z');

/** A finished run `daysAgo` old with one file of each kind given, `bytes` each. */
function run(daysAgo: number, kinds: RetentionKind[] = ['records', 'logs', 'predictions', 'details'], bytes = 100): { id: string; at: number; files: KeptFile[] } {
  const at = NOW - daysAgo * DAY;
  const id = runIdAt(at);
  return { id, at, files: kinds.map((kind) => ({ kind, model: 'm', runId: id, path: `/v/${kind}/m/${id}`, bytes })) };
}

async function plan(runs: ReturnType<typeof run>[], settings: PlanInput['settings'], opts: { protectedRuns?: string[]; live?: string[] } = {}) {
  const live = new Set(opts.live ?? []);
  const planned = await planRetention({
    settings,
    files: runs.flatMap((r) => r.files),
    finishedAt: new Map(runs.filter((r) => !live.has(r.id)).map((r) => [r.id, r.at])),
    protectedRuns: new Set(opts.protectedRuns ?? []),
    now: NOW,
  });
  return planned.map((f) => `${f.kind}:${f.runId}:${f.why}`);
}

describe('retention: what a pass removes (issue 19)', () => {
  it('nothing set: nothing removed', async () => {
    assert.deepEqual(await plan([run(400), run(1)], { days: {} }), []);
  });

  it("each kind goes after its own days; a record's days passing takes its run's other files with it, the record last", async () => {
    const old = run(10);
    const mid = run(5);
    const fresh = run(1);
    assert.deepEqual(await plan([old, mid, fresh], { days: { predictions: 2, logs: 7 } }), [`logs:${old.id}:age`, `predictions:${old.id}:age`, `predictions:${mid.id}:age`]);
    assert.deepEqual(await plan([old, mid, fresh], { days: { records: 7 } }), [`logs:${old.id}:age`, `predictions:${old.id}:age`, `details:${old.id}:age`, `records:${old.id}:age`]);
  });

  it('over the size cap: predictions first, then logs, details, records, each oldest finished first, until under it', async () => {
    const a = run(30);
    const b = run(20);
    const c = run(10);
    // 12 files of 100 bytes: 1200; a cap of 900 takes three predictions.
    assert.deepEqual(await plan([c, a, b], { days: {}, maxBytes: 900 }), [`predictions:${a.id}:size`, `predictions:${b.id}:size`, `predictions:${c.id}:size`]);
    // 750: the three predictions and the two oldest logs.
    assert.deepEqual(await plan([a, b, c], { days: {}, maxBytes: 750 }), [
      `predictions:${a.id}:size`,
      `predictions:${b.id}:size`,
      `predictions:${c.id}:size`,
      `logs:${a.id}:size`,
      `logs:${b.id}:size`,
    ]);
    // 150: everything of a and b goes; c keeps its record (100).
    const small = await plan([a, b, c], { days: {}, maxBytes: 150 });
    assert.ok(small.includes(`records:${a.id}:size`) && small.includes(`records:${b.id}:size`) && !small.some((s) => s.startsWith(`records:${c.id}`)));
    assert.deepEqual(small.slice(-2), [`records:${a.id}:size`, `records:${b.id}:size`]);
  });

  it('age first, then the cap counts only what is left', async () => {
    const a = run(30);
    const b = run(1);
    assert.deepEqual(await plan([a, b], { days: { predictions: 7 }, maxBytes: 600 }), [`predictions:${a.id}:age`, `predictions:${b.id}:size`]);
  });

  it('a protected run (a board, a pending re-score) and a live run (no finish known) lose nothing, even over the cap', async () => {
    const standing = run(100);
    const live = run(100, ['predictions', 'details']);
    const other = run(100);
    const removed = await plan([standing, live, other], { days: { records: 1, logs: 1, predictions: 1, details: 1 }, maxBytes: 1 }, { protectedRuns: [standing.id], live: [live.id] });
    assert.ok(
      removed.every((r) => r.includes(other.id)),
      removed.join(),
    );
    assert.equal(removed.length, 4);
  });
});

describe('retention: the runs a board stands on (issue 19)', () => {
  const t0 = Date.parse('2027-01-01T00:00:00Z');
  let n = 0;
  const summary = (name: string, extra: Partial<RunSummary>): RunSummary => ({
    id: runIdAt(t0 + ++n * 1000),
    name,
    image: 'busybox',
    status: 'succeeded',
    createdAt: new Date(t0 + n * 1000).toISOString(),
    finishedAt: new Date(t0 + n * 1000).toISOString(),
    ...extra,
  });

  it("the self-scored leaderboard's best run of each model, and each benchmark model's run under the board's rule (best, last, selected)", () => {
    const LAST: BenchmarkDefinition = { ...DIGITS, name: 'last-board', board: { rule: 'last' } };
    const SELECTED: BenchmarkDefinition = { ...DIGITS, name: 'sel-board', board: { rule: 'selected', selectLimit: 1 } };
    const index = new RunIndex([DIGITS, LAST, SELECTED]);
    const selfBest = summary('self', { score: 0.9 });
    const selfWorse = summary('self', { score: 0.1 });
    const digitsBest = summary('bm', { benchmark: 'digits', metrics: { accuracy: 0.9 } });
    const digitsWorse = summary('bm', { benchmark: 'digits', metrics: { accuracy: 0.5 } });
    const lastOld = summary('lm', { benchmark: 'last-board', metrics: { accuracy: 0.9 } });
    const lastNew = summary('lm', { benchmark: 'last-board', metrics: { accuracy: 0.2 } });
    const picked = summary('sm', { benchmark: 'sel-board', metrics: { accuracy: 0.1 } });
    const selBest = summary('sm', { benchmark: 'sel-board', metrics: { accuracy: 0.9 } });
    const selNeither = summary('sm', { benchmark: 'sel-board', metrics: { accuracy: 0.5 } });
    for (const r of [selfBest, selfWorse, digitsBest, digitsWorse, lastOld, lastNew, picked, selBest, selNeither]) index.upsert(r);
    const standing = standingRuns(index, [DIGITS, LAST, SELECTED], new Map([['sel-board', new Set([picked.id])]]));
    for (const r of [selfBest, digitsBest, lastNew, picked, selBest]) assert.ok(standing.has(r.id), `${r.name} ${r.id} stands`);
    for (const r of [selfWorse, digitsWorse, lastOld, selNeither]) assert.ok(!standing.has(r.id), `${r.name} ${r.id} does not stand`);
  });

  it("a phase's board keeps its own best run, though a better one came in a later phase", () => {
    const PHASED: BenchmarkDefinition = {
      ...DIGITS,
      phases: [
        { name: 'dev', start: '2027-01-01T00:00:00Z', end: '2027-01-01T00:00:05Z' },
        { name: 'final', start: '2027-01-01T00:00:05Z', end: '2027-01-02T00:00:00Z' },
      ],
    };
    n = 0;
    const index = new RunIndex([PHASED]);
    const devBest = summary('pm', { benchmark: 'digits', metrics: { accuracy: 0.5 } });
    const devWorse = summary('pm', { benchmark: 'digits', metrics: { accuracy: 0.4 } });
    n = 10;
    const finalBest = summary('pm', { benchmark: 'digits', metrics: { accuracy: 0.9 } });
    for (const r of [devBest, devWorse, finalBest]) index.upsert(r);
    const standing = standingRuns(index, [PHASED], new Map());
    assert.ok(standing.has(devBest.id) && standing.has(finalBest.id));
    assert.ok(!standing.has(devWorse.id));
  });
});
