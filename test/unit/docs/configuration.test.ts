import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENV_VARIABLES } from '@modelrun/config';

const ROOT = resolve(__dirname, '../../..');

/**
 * The variables a row of the configuration table names: `RUN_CPUS` / `_MAX` is RUN_CPUS and
 * RUN_CPUS_MAX; `WORKER_METRICS_PORT` / `_HOST` is WORKER_METRICS_PORT and WORKER_METRICS_HOST.
 */
export function variablesOfRow(firstCell: string): string[] {
  const names = [...firstCell.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)].map((m) => m[1]!);
  const out: string[] = [];
  for (const name of names) {
    const base = out.find((n) => !n.startsWith('_'));
    if (!name.startsWith('_') || !base) out.push(name);
    else if (name === '_MAX') out.push(`${base}${name}`);
    else out.push(`${base.slice(0, base.lastIndexOf('_'))}${name}`);
  }
  return out;
}

describe('docs/operations/configuration.md', () => {
  it("expands a row's shorthand", () => {
    const table: Array<[string, string[]]> = [
      ['`PORT`', ['PORT']],
      ['`RUN_TIMEOUT_SECONDS` / `_MAX`', ['RUN_TIMEOUT_SECONDS', 'RUN_TIMEOUT_SECONDS_MAX']],
      ['`WORKER_METRICS_PORT` / `_HOST`', ['WORKER_METRICS_PORT', 'WORKER_METRICS_HOST']],
      ['`RUN_ATTEMPTS` / `RUN_BACKOFF_MS`', ['RUN_ATTEMPTS', 'RUN_BACKOFF_MS']],
    ];
    for (const [cell, names] of table) assert.deepEqual(variablesOfRow(cell), names, cell);
  });

  it('has a row for every variable modelrun reads', () => {
    const text = readFileSync(join(ROOT, 'docs/operations/configuration.md'), 'utf8');
    const documented = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .flatMap((l) => variablesOfRow(l.split('|')[1] ?? '')),
    );
    const missing = ENV_VARIABLES.filter((v) => !documented.has(v));
    assert.deepEqual(missing, [], `not in docs/operations/configuration.md: ${missing.join(', ')}`);
  });
});
