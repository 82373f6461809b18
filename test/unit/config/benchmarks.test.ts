import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadApiConfig, loadWorkerConfig } from '@modelrun/config';

const GOOD = `
benchmarks:
  - name: digits
    description: Handwritten digits, the test split
    evaluator:
      image: modelrun/digits-evaluator:latest
      limits: { timeoutSeconds: 120, memoryMb: 512 }
    reference: { volume: modelrun-digits-reference }
    metrics:
      - { name: accuracy, direction: higher, description: share of digits right }
      - { name: error_rate, direction: lower }
    primaryMetric: accuracy
    model: { limits: { timeoutSeconds: 300 } }
    quotas: { perDay: 5, concurrent: 2 }
`;

describe('BENCHMARKS_FILE', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-bm-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const problems = (path: string): string[] => {
    try {
      loadWorkerConfig({ BENCHMARKS_FILE: path });
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.problems;
    }
    return assert.fail('expected the file to be refused');
  };

  it('reads a YAML file into benchmarks by name, for the API and the worker alike', () => {
    const path = file('b.yaml', GOOD);
    const api = loadApiConfig({ BENCHMARKS_FILE: path });
    const digits = api.benchmarks.get('digits');
    assert.equal(digits?.evaluator.image, 'modelrun/digits-evaluator:latest');
    assert.deepEqual(digits?.reference, { volume: 'modelrun-digits-reference' });
    assert.deepEqual(digits?.quotas, { perDay: 5, concurrent: 2 });
    assert.deepEqual(loadWorkerConfig({ BENCHMARKS_FILE: path }).benchmarks.get('digits'), digits);
  });

  it('reads the labels and runtimes a benchmark requires of its hosts, and refuses a runtime named as a label', () => {
    const path = file('r.yaml', `${GOOD}    requires: { reference: digits }\n    runtime: { model: runsc, evaluator: runc }\n`);
    const digits = loadWorkerConfig({ BENCHMARKS_FILE: path }).benchmarks.get('digits');
    assert.deepEqual(digits?.requires, { reference: 'digits' });
    assert.deepEqual(digits?.runtime, { model: 'runsc', evaluator: 'runc' });
    const bad = file('bad.yaml', `${GOOD}    requires: { runtime: runsc }\n    runtime: { model: 'run sc' }\n`);
    const found = problems(bad).join('\n');
    assert.match(found, /benchmarks\[0\] \(digits\)\.requires\.runtime: name runtimes in runtime/);
    assert.match(found, /benchmarks\[0\] \(digits\)\.runtime\.model: must be a runtime name/);
  });

  it('reads the same from JSON', () => {
    const json = file(
      'b.json',
      JSON.stringify({ benchmarks: [{ name: 'x', evaluator: { image: 'e:1' }, reference: { hostPath: '/srv/ref' }, metrics: [{ name: 'loss', direction: 'lower' }], primaryMetric: 'loss' }] }),
    );
    assert.deepEqual(loadApiConfig({ BENCHMARKS_FILE: json }).benchmarks.get('x')?.reference, { hostPath: '/srv/ref' });
  });

  it('has no benchmarks without the variable', () => {
    assert.equal(loadApiConfig({}).benchmarks.size, 0);
  });

  it('names the field of every mistake, with the benchmark', () => {
    const bad = GOOD.replace('direction: lower', 'direction: down').replace('perDay: 5', 'perDay: 0');
    const found = problems(file('bad.yaml', bad));
    const at = (field: string) => found.find((p) => p.includes(`: benchmarks[0] (digits).${field}: `));
    assert.match(at('metrics[1].direction') ?? '', /must be "higher" or "lower"/, JSON.stringify(found));
    assert.match(at('quotas.perDay') ?? '', /positive/, JSON.stringify(found));
    assert.ok(found.every((p) => p.startsWith(`BENCHMARKS_FILE (${join(dir, 'bad.yaml')}): `)));
    const primary = problems(file('p.yaml', GOOD.replace('primaryMetric: accuracy', 'primaryMetric: f1')));
    assert.match(primary.find((p) => p.includes('(digits).primaryMetric: ')) ?? '', /f1 is not one of the metrics \(accuracy, error_rate\)/, JSON.stringify(primary));
  });

  it('refuses a reference that is neither a volume nor an absolute host folder, and unknown fields', () => {
    const found = problems(
      file('r.yaml', GOOD.replace('reference: { volume: modelrun-digits-reference }', 'reference: { hostPath: relative/dir }').replace('    primaryMetric', '    secret: 1\n    primaryMetric')),
    );
    assert.ok(
      found.some((p) => /\(digits\)\.reference\.hostPath: must be an absolute path/.test(p)),
      JSON.stringify(found),
    );
    assert.ok(
      found.some((p) => /\(digits\): .*secret/.test(p)),
      JSON.stringify(found),
    );
  });

  it('refuses a benchmark defined twice, limits over the ceilings, a missing file and bad YAML', () => {
    const twice = problems(file('t.yaml', `${GOOD}${GOOD.replace('benchmarks:\n', '')}`));
    assert.ok(
      twice.some((p) => /benchmarks\[1\] \(digits\)\.name: digits is defined twice/.test(p)),
      JSON.stringify(twice),
    );
    const tooLong = problems(file('l.yaml', GOOD.replace('timeoutSeconds: 300', 'timeoutSeconds: 99999')));
    assert.ok(
      tooLong.some((p) => /\(digits\)\.model\.limits\.timeoutSeconds: 99999 is over the ceiling/.test(p)),
      JSON.stringify(tooLong),
    );
    assert.match(problems(join(dir, 'missing.yaml'))[0]!, /cannot be read: ENOENT/);
    assert.match(problems(file('y.yaml', 'benchmarks: [ {'))[0]!, /is not valid YAML/);
  });
});
