import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadWorkerConfig } from '@modelrun/config';
import { type BenchmarkDefinition, type RunSummary, newRunId, phaseAt, phasesView, quotaScope, quotasIn, scoringOf } from '@modelrun/contracts';
import { RunIndex } from '@modelrun/leaderboard';
import { admitPhase, PhaseClosed } from '../../../apps/api/src/services/phase-admission';
import { toHttpError } from '../../../apps/api/src/middleware/error-mapping';
import { scoringFor } from '../../../apps/worker/src/run/evaluate';
import type { ProcessorDeps } from '../../../apps/worker/src/run/context';
import { InfrastructureError } from '@modelrun/runner';
import { DIGITS } from '../../fixtures/benchmark-definition';

/** Two phases with a gap between them: development (own quotas), then final (own evaluator and reference). */
const PHASED: BenchmarkDefinition = {
  ...DIGITS,
  quotas: { perDay: 5 },
  phases: [
    { name: 'development', start: '2027-01-01T00:00:00Z', end: '2027-02-01T00:00:00Z', quotas: { perDay: 20, concurrent: 2 } },
    { name: 'final', start: '2027-02-08T00:00:00Z', end: '2027-02-15T00:00:00Z', evaluator: { image: 'modelrun/digits-evaluator:2' }, reference: { volume: 'final-ref' } },
  ],
};
const at = (iso: string): number => Date.parse(iso);

describe('benchmark phases', () => {
  describe('in BENCHMARKS_FILE', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'modelrun-phases-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const HEAD = `benchmarks:
  - name: digits
    evaluator: { image: modelrun/digits-evaluator:latest }
    reference: { volume: ref }
    metrics: [{ name: accuracy, direction: higher }]
    primaryMetric: accuracy
    phases:
`;
    const load = (phases: string) => {
      const path = join(dir, 'b.yaml');
      writeFileSync(path, HEAD + phases);
      return loadWorkerConfig({ BENCHMARKS_FILE: path });
    };
    const problems = (phases: string): string[] => {
      try {
        load(phases);
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.problems;
      }
      return assert.fail('expected the file to be refused');
    };

    it('reads phases with unquoted ISO times, their quotas, evaluator and reference', () => {
      const digits = load(
        [
          '      - { name: development, start: 2027-01-01T00:00:00Z, end: 2027-02-01T00:00:00+01:00, quotas: { perDay: 3 } }',
          '      - name: final',
          '        start: 2027-02-01T00:00:00Z',
          '        end: 2027-02-15T00:00:00Z',
          '        evaluator: { image: modelrun/digits-evaluator:2 }',
          '        reference: { hostPath: /srv/final }',
          '',
        ].join('\n'),
      ).benchmarks.get('digits')!;
      assert.deepEqual(
        digits.phases?.map((p) => p.name),
        ['development', 'final'],
      );
      assert.deepEqual(digits.phases?.[0]?.quotas, { perDay: 3 });
      assert.deepEqual(digits.phases?.[1]?.reference, { hostPath: '/srv/final' });
    });

    it('refuses, naming the field: an end not after its start, overlapping or unordered phases, a name twice, a time without its zone', () => {
      const found = problems(
        [
          '      - { name: a, start: 2027-01-10T00:00:00Z, end: 2027-01-10T00:00:00Z }',
          '      - { name: b, start: 2027-01-05T00:00:00Z, end: 2027-01-20T00:00:00Z }',
          '      - { name: a, start: 2027-01-20T00:00:00Z, end: 2027-01-30T00:00:00Z }',
          '      - { name: c, start: "2027-02-01 00:00", end: 2027-02-02T00:00:00Z }',
          '',
        ].join('\n'),
      );
      const where = (field: string) => found.find((p) => p.includes(field)) ?? assert.fail(`no problem names ${field}: ${found.join('\n')}`);
      assert.match(where('benchmarks[0] (digits).phases[0].end'), /must be after its start/);
      assert.match(where('benchmarks[0] (digits).phases[1].start'), /must not be before the end of the phase listed before it \(a ends/);
      assert.match(where('benchmarks[0] (digits).phases[2].name'), /a is listed twice/);
      assert.match(where('benchmarks[0] (digits).phases[3].start'), /ISO-8601 time with its zone/);
      assert.match(found[0]!, /^BENCHMARKS_FILE \(/);
    });

    it('refuses an empty list of phases', () => {
      assert.match(problems('      []\n').join('\n'), /phases: must list at least one phase/);
    });
  });

  it('knows the open phase and the next at a given time: before, in, between, after; a start is in, an end is out', () => {
    assert.deepEqual(
      [phaseAt(PHASED, at('2026-12-31T23:59:59Z'))].map((s) => [s.open?.name, s.next?.name, s.ended]),
      [[undefined, 'development', false]],
    );
    const cases: [string, string | undefined, string | undefined, boolean][] = [
      ['2027-01-01T00:00:00Z', 'development', 'final', false],
      ['2027-02-01T00:00:00Z', undefined, 'final', false],
      ['2027-02-08T00:00:00Z', 'final', undefined, false],
      ['2027-02-15T00:00:00Z', undefined, undefined, true],
    ];
    for (const [time, open, next, ended] of cases) {
      const s = phaseAt(PHASED, at(time));
      assert.deepEqual([s.open?.name, s.next?.name, s.ended], [open, next, ended], time);
    }
    assert.deepEqual(phaseAt(DIGITS, Date.now()), { ended: false });
  });

  it('gives a phase its own quotas (else the benchmark’s), counted under a scope of their own', () => {
    assert.deepEqual(quotasIn(PHASED, PHASED.phases![0]), { perDay: 20, concurrent: 2 });
    assert.deepEqual(quotasIn(PHASED, PHASED.phases![1]), { perDay: 5 });
    assert.deepEqual(quotasIn(DIGITS, undefined), {});
    assert.equal(quotaScope('digits', undefined), 'digits');
    assert.equal(quotaScope('digits', 'final'), 'digits/final');
  });

  it("scores a phase's runs with its own evaluator and reference, else the benchmark's; an unknown phase has none", () => {
    assert.deepEqual(scoringOf(PHASED, 'final'), { evaluator: { image: 'modelrun/digits-evaluator:2' }, reference: { volume: 'final-ref' } });
    assert.deepEqual(scoringOf(PHASED, 'development'), { evaluator: DIGITS.evaluator, reference: DIGITS.reference });
    assert.deepEqual(scoringOf(DIGITS, undefined), { evaluator: DIGITS.evaluator, reference: DIGITS.reference });
    assert.equal(scoringOf(PHASED, 'nope'), undefined);
  });

  it("has the worker take a phase's evaluator from its own file, and retry (infrastructure) a run whose phase that file lacks", () => {
    const deps = { benchmarks: new Map([['digits', PHASED]]) } as unknown as ProcessorDeps;
    assert.equal(scoringFor(deps, { benchmark: 'digits', benchmarkPhase: 'final' }).scoring.evaluator.image, 'modelrun/digits-evaluator:2');
    assert.equal(scoringFor(deps, { benchmark: 'digits' }).scoring.evaluator.image, DIGITS.evaluator.image);
    assert.throws(
      () => scoringFor(deps, { benchmark: 'digits', benchmarkPhase: 'nope' }),
      (err) => err instanceof InfrastructureError && /has no phase "nope" in benchmark digits/.test(err.message),
    );
  });

  it('shows the phases, the open one with the seconds left and the next one; nothing for a benchmark without phases', () => {
    const view = phasesView(PHASED, at('2027-01-31T23:00:00Z'));
    assert.deepEqual(view.openPhase, { name: 'development', endsAt: '2027-02-01T00:00:00Z', secondsLeft: 3600 });
    assert.deepEqual(view.nextPhase, { name: 'final', startsAt: '2027-02-08T00:00:00Z', secondsUntil: 7 * 86400 + 3600 });
    assert.deepEqual(view.phases?.[1], { name: 'final', start: '2027-02-08T00:00:00Z', end: '2027-02-15T00:00:00Z', quotas: { perDay: 5 }, board: { rule: 'best' } });
    assert.deepEqual(phasesView(DIGITS, Date.now()), {});
  });

  it('admits a submission to the open phase; refuses one between phases (409 phase_closed, nextOpensAt) and after the last (409 benchmark_closed)', () => {
    assert.equal(admitPhase(PHASED, at('2027-01-15T00:00:00Z'))?.name, 'development');
    assert.equal(admitPhase(DIGITS, Date.now()), undefined);
    const refusal = (time: string) => {
      try {
        admitPhase(PHASED, at(time));
      } catch (err) {
        assert.ok(err instanceof PhaseClosed);
        return toHttpError(err);
      }
      return assert.fail('expected a refusal');
    };
    const between = refusal('2027-02-03T00:00:00Z');
    assert.equal(between.status, 409);
    assert.equal(between.code, 'phase_closed');
    assert.equal(between.extra.nextOpensAt, '2027-02-08T00:00:00.000Z');
    assert.match(between.message, /its phase final opens at 2027-02-08T00:00:00Z/);
    const after = refusal('2027-03-01T00:00:00Z');
    assert.equal(after.status, 409);
    assert.equal(after.code, 'benchmark_closed');
    assert.equal(after.extra.nextOpensAt, undefined);
    assert.match(after.message, /is closed: its last phase, final, ended at 2027-02-15T00:00:00Z/);
  });

  it("keeps a board per phase: a model's best run among the runs submitted in that phase only", () => {
    const index = new RunIndex([PHASED, DIGITS].map((d, i) => ({ ...d, name: i ? 'plain' : 'digits' })));
    const run = (name: string, createdAt: string, accuracy: number, benchmark = 'digits'): RunSummary => ({
      id: newRunId(),
      name,
      image: 'm:1',
      benchmark,
      status: 'succeeded',
      score: accuracy,
      metrics: { accuracy },
      createdAt,
      finishedAt: createdAt,
    });
    const devBest = run('alpha', '2027-01-10T00:00:00Z', 0.9);
    index.upsert(devBest);
    index.upsert(run('alpha', '2027-01-11T00:00:00Z', 0.7));
    index.upsert(run('alpha', '2027-02-09T00:00:00Z', 0.5));
    index.upsert(run('beta', '2027-02-10T00:00:00Z', 0.6));
    index.upsert(run('gamma', '2027-02-03T00:00:00Z', 1)); // between phases: on the whole board only
    const opts = { sort: 'accuracy', order: 'best' as const, limit: 10, offset: 0 };
    const dev = index.phaseBoards.list('digits', 'development', opts)!;
    assert.deepEqual(
      dev.entries.map((e) => [e.name, e.best.id, e.scoredRuns, e.best.benchmark]),
      [['alpha', devBest.id, 2, 'digits']],
    );
    const final = index.phaseBoards.list('digits', 'final', opts)!;
    assert.deepEqual(
      final.entries.map((e) => [e.name, e.best.metrics?.accuracy]),
      [
        ['beta', 0.6],
        ['alpha', 0.5],
      ],
    );
    assert.deepEqual(
      index.boards.list('digits', opts)!.entries.map((e) => e.name),
      ['gamma', 'alpha', 'beta'],
    );
    index.remove(devBest.id);
    assert.equal(index.phaseBoards.list('digits', 'development', opts)!.entries[0]?.best.metrics?.accuracy, 0.7);
    assert.equal(index.phaseBoards.has('digits', 'final'), true);
    assert.equal(index.phaseBoards.has('digits', 'nope'), false);
    assert.equal(index.phaseBoards.has('plain', 'final'), false);
    assert.equal(index.phaseBoards.list('digits', 'nope', opts), undefined);
  });
});
