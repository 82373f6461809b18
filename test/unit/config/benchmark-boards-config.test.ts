import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadApiConfig } from '@modelrun/config';
import { boardOf, viewOfBenchmark } from '@modelrun/contracts';

/** A benchmark with `extra` lines (board, privateBoard) at its end. */
const benchmark = (...extra: string[]) =>
  [
    'benchmarks:',
    '  - name: digits',
    '    evaluator: { image: modelrun/digits-evaluator:latest }',
    '    reference: { volume: ref }',
    '    metrics: [{ name: accuracy, direction: higher }]',
    '    primaryMetric: accuracy',
    ...extra.map((l) => `    ${l}`),
  ].join('\n');

describe('BENCHMARKS_FILE: board rules and the private board (issue 19)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-bm-boards-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (text: string) => {
    const path = join(dir, 'b.yaml');
    writeFileSync(path, text);
    return loadApiConfig({ BENCHMARKS_FILE: path }).benchmarks.get('digits')!;
  };
  const problems = (text: string): string[] => {
    try {
      load(text);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.problems;
    }
    return assert.fail('expected the file to be refused');
  };

  it('defaults to the best rule and no reveal time, and shows no board in the view, as before', () => {
    const d = load(benchmark());
    assert.deepEqual(boardOf(d), { rule: 'best' });
    assert.equal('board' in viewOfBenchmark(d), false);
    assert.equal(d.privateBoard, undefined);
  });

  it('reads each rule, the selection limit (default 2) and revealAt', () => {
    assert.deepEqual(boardOf(load(benchmark('board: { rule: last }'))), { rule: 'last' });
    assert.deepEqual(boardOf(load(benchmark('board: { rule: selected }'))), { rule: 'selected', selectLimit: 2 });
    const d = load(benchmark('board: { rule: selected, selectLimit: 5 }', 'privateBoard: { revealAt: "2027-03-01T00:00:00Z" }'));
    assert.deepEqual(viewOfBenchmark(d).board, { rule: 'selected', selectLimit: 5 });
    assert.equal(d.privateBoard?.revealAt, '2027-03-01T00:00:00Z');
  });

  it('refuses an unknown rule, a limit on another rule, a bad limit and a time that is not ISO 8601, naming the field', () => {
    assert.match(problems(benchmark('board: { rule: worst }')).join('\n'), /benchmarks\[0\] \(digits\)\.board\.rule: must be "best", "last" or "selected"/);
    assert.match(problems(benchmark('board: { rule: best, selectLimit: 2 }')).join('\n'), /board\.selectLimit: applies to the rule "selected" only/);
    assert.match(problems(benchmark('board: { rule: selected, selectLimit: 0 }')).join('\n'), /board\.selectLimit: must be a positive whole number/);
    assert.match(problems(benchmark('privateBoard: { revealAt: "next friday" }')).join('\n'), /privateBoard\.revealAt: must be an ISO 8601 time/);
    assert.match(problems(benchmark('privateBoard: { reveal: now }')).join('\n'), /privateBoard/);
  });
});
