// Lints the API's generated OpenAPI document with Redocly's recommended rules, offline:
// `npm run lint:openapi`. Any error or warning fails it. The document is generated in-process
// (no API to start), written to a temporary file, and handed to `redocly lint`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDocument } from '../apps/api/src/openapi/document';

const dir = mkdtempSync(join(tmpdir(), 'modelrun-openapi-'));
try {
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(openApiDocument(), null, 2));
  const args = ['lint', file, '--extends=recommended', '--format=stylish'];
  const lint = spawnSync(join(__dirname, '..', 'node_modules', '.bin', 'redocly'), args, {
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  const out = `${lint.stdout}${lint.stderr}`;
  process.stdout.write(out);
  // redocly exits 0 on warnings: they fail here too.
  const warned = /\d+ warnings?\b/.test(out) && !/\b0 warnings?\b/.test(out);
  if (lint.status !== 0 || warned || lint.error) {
    console.error('openapi lint: the document has problems (see above)');
    process.exitCode = 1;
  } else {
    console.log('openapi lint: no errors, no warnings');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
