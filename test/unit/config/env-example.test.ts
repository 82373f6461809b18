import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ENV_VARIABLES, loadApiConfig, loadWorkerConfig } from '@modelrun/config';

describe('.env.example', () => {
  const text = readFileSync('.env.example', 'utf8');
  const entries = [...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!] as const);

  it('lists every variable modelrun reads, and nothing else', () => {
    assert.deepEqual(entries.map(([k]) => k).sort(), [...ENV_VARIABLES].sort());
  });

  it('gives each variable a comment line above it', () => {
    const lines = text.split('\n');
    for (const [key] of entries) {
      const i = lines.findIndex((l) => l.startsWith(`${key}=`));
      assert.match(lines[i - 1] ?? '', /^# \S/, `${key} has no comment`);
    }
  });

  it('holds values that load as they are', () => {
    const env = Object.fromEntries(entries);
    assert.doesNotThrow(() => loadWorkerConfig(env));
    assert.doesNotThrow(() => loadApiConfig(env));
  });
});
