import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { VolumeLayout } from '@modelrun/store';
import { writeBenchmarksFile } from '../fixtures/benchmark';
import { succeededRecord } from '../fixtures/records';
import { buildWebApp, launchChromium, watchConsole } from '../helpers/browser';
import { infra } from '../helpers/infra';
import { type Stack, startStack } from '../helpers/stack';

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;

/**
 * The benchmark board's marker on a row an older evaluator scored (issue 19): two records on the
 * volume, read by an API without workers (no engine needed): `fresh` scored by the newer image
 * last, `stale` by an older one before it.
 */
describe("the web app's benchmark board marks rows an older evaluator scored", function () {
  this.timeout(60_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const dataDir = mkdtempSync(join(tmpdir(), 'modelrun-older-evaluator-'));

  before(async () => {
    buildWebApp();
    await infra();
    const layout = new VolumeLayout(dataDir);
    const t = Date.now() - 3_600_000;
    for (const [name, at, image, accuracy] of [
      ['stale', t, OLD, 0.9],
      ['fresh', t + 60_000, NEW, 0.8],
    ] as const) {
      const r = succeededRecord(name, at, { benchmark: 'toy', score: accuracy, metrics: { accuracy, error_rate: 1 - accuracy }, evaluatorImage: image });
      mkdirSync(dirname(layout.recordPath(name, r.id)), { recursive: true });
      writeFileSync(layout.recordPath(name, r.id), JSON.stringify(r));
    }
    stack = await startStack({ workers: 0, env: { DATA_DIR: dataDir, BENCHMARKS_FILE: writeBenchmarksFile('modelrun-test-unused', [{ name: 'toy', evaluator: 'bm-eval' }]) } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    errors = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(() => {
    assert.deepEqual(errors.splice(0), [], 'console errors');
  });

  it('shows a marker whose title names the older image and says to re-score, on that row only', async () => {
    await page.goto(`${stack.api.url}/benchmarks/toy`);
    await page.locator('table.board tbody tr[data-model="fresh"]').waitFor();
    const marker = page.locator('table.board tbody tr[data-model="stale"] .older-evaluator');
    assert.equal(await marker.count(), 1);
    assert.equal(await marker.getAttribute('title'), `scored by an older evaluator sha256:${'a'.repeat(12)}…; re-score to update`);
    assert.equal(await page.locator('table.board tbody tr[data-model="fresh"] .older-evaluator').count(), 0);
  });
});
