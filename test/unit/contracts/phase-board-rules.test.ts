import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadWorkerConfig } from '@modelrun/config';
import { type BenchmarkDefinition, type RunSummary, anyBoardSelects, boardIn, newRunId, phasesView } from '@modelrun/contracts';
import { RunIndex, chooseRuns } from '@modelrun/leaderboard';
import { formatPhases } from '../../../apps/cli/src/output/phases';
import { DIGITS } from '../../fixtures/benchmark-definition';

/** The benchmark ranks each model's best run; its final phase has a board of its own: the last run. */
const PHASED: BenchmarkDefinition = {
  ...DIGITS,
  board: { rule: 'best' },
  phases: [
    { name: 'development', start: '2027-01-01T00:00:00Z', end: '2027-02-01T00:00:00Z' },
    { name: 'final', start: '2027-02-08T00:00:00Z', end: '2027-02-15T00:00:00Z', board: { rule: 'last' } },
    { name: 'extra', start: '2027-02-15T00:00:00Z', end: '2027-02-20T00:00:00Z', board: { rule: 'selected' } },
  ],
};

describe('a board rule per phase (issue 19)', () => {
  describe('in BENCHMARKS_FILE', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'modelrun-phase-boards-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const load = (phases: string) => {
      const path = join(dir, 'b.yaml');
      writeFileSync(
        path,
        `benchmarks:
  - name: digits
    evaluator: { image: modelrun/digits-evaluator:latest }
    reference: { volume: ref }
    metrics: [{ name: accuracy, direction: higher }]
    primaryMetric: accuracy
    phases:
${phases}`,
      );
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

    it("reads a phase's board; a phase without one follows the benchmark's", () => {
      const digits = load(
        [
          '      - { name: development, start: 2027-01-01T00:00:00Z, end: 2027-02-01T00:00:00Z }',
          '      - { name: final, start: 2027-02-08T00:00:00Z, end: 2027-02-15T00:00:00Z, board: { rule: selected, selectLimit: 3 } }',
          '',
        ].join('\n'),
      ).benchmarks.get('digits')!;
      assert.deepEqual(boardIn(digits, 'final'), { rule: 'selected', selectLimit: 3 });
      assert.deepEqual(boardIn(digits, 'development'), { rule: 'best' });
      assert.deepEqual(boardIn(digits, undefined), { rule: 'best' });
      assert.equal(anyBoardSelects(digits), true);
    });

    it('names the field of a bad rule and of a selectLimit on another rule', () => {
      const bad = problems('      - { name: final, start: 2027-02-08T00:00:00Z, end: 2027-02-15T00:00:00Z, board: { rule: newest } }\n');
      assert.ok(
        bad.some((p) => /benchmarks\[0\] \(digits\)\.phases\[0\]\.board\.rule: must be "best", "last" or "selected"/.test(p)),
        bad.join('\n'),
      );
      const limit = problems('      - { name: final, start: 2027-02-08T00:00:00Z, end: 2027-02-15T00:00:00Z, board: { rule: last, selectLimit: 2 } }\n');
      assert.ok(
        limit.some((p) => /phases\[0\]\.board\.selectLimit: applies to the rule "selected" only \(this phase's board rule is "last"\)/.test(p)),
        limit.join('\n'),
      );
    });
  });

  it("gives each phase's rule with its default selectLimit, and shows it in the benchmark's view", () => {
    assert.deepEqual(boardIn(PHASED, 'final'), { rule: 'last' });
    assert.deepEqual(boardIn(PHASED, 'extra'), { rule: 'selected', selectLimit: 2 });
    assert.deepEqual(boardIn(PHASED, 'development'), { rule: 'best' });
    assert.deepEqual(boardIn(DIGITS, 'anything'), { rule: 'best' });
    assert.equal(anyBoardSelects(DIGITS), false);
    assert.deepEqual(
      phasesView(PHASED, Date.parse('2027-01-15T00:00:00Z')).phases?.map((p) => [p.name, p.board]),
      [
        ['development', { rule: 'best' }],
        ['final', { rule: 'last' }],
        ['extra', { rule: 'selected', selectLimit: 2 }],
      ],
    );
  });

  it('prints a BOARD column in modelrun benchmarks when some phase ranks by another rule than the best run', () => {
    const printed = formatPhases(phasesView(PHASED, Date.parse('2027-01-15T00:00:00Z')));
    assert.match(printed, /PHASE\s+START\s+END\s+QUOTAS\s+BOARD/);
    assert.match(printed, /final\s+2027-02-08T00:00:00Z\s+2027-02-15T00:00:00Z\s+none\s+last\n/);
    assert.match(printed, /extra\s+\S+\s+\S+\s+none\s+selected \(up to 2\)/);
    assert.doesNotMatch(formatPhases(phasesView({ ...PHASED, board: undefined, phases: PHASED.phases!.map(({ board: _b, ...p }) => p) }, Date.parse('2027-01-15T00:00:00Z'))), /BOARD/);
  });

  it("ranks a phase's board by the phase's rule, from the index's list of the phase's runs", () => {
    const index = new RunIndex([PHASED]);
    let clock = Date.parse('2027-02-09T00:00:00Z');
    const run = (name: string, accuracy: number, createdAt?: string): RunSummary => {
      clock += 1000;
      const at = createdAt ?? new Date(clock).toISOString();
      return { id: newRunId(), name, image: 'm:1', benchmark: 'digits', status: 'succeeded', score: accuracy, metrics: { accuracy }, createdAt: at, finishedAt: at };
    };
    const dev = run('a', 0.99, '2027-01-10T00:00:00.000Z');
    const best = run('a', 0.9);
    const last = run('a', 0.7);
    for (const r of [dev, best, last]) index.upsert(r);
    const chosen = (phase: string | undefined) =>
      chooseRuns({ definition: PHASED, runs: [...index.benchmarkRuns('digits', phase)].map((r) => ({ run: r })), board: 'public', rule: boardIn(PHASED, phase) }).map((e) => e.best.id);
    assert.deepEqual(chosen('final'), [last.id]);
    assert.deepEqual(chosen('development'), [dev.id]);
    assert.deepEqual(chosen(undefined), [dev.id]);
  });
});
