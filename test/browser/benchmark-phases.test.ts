import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { writeBenchmarksFile } from '../fixtures/benchmark';
import { buildWebApp, launchChromium, screenshotDir, watchConsole } from '../helpers/browser';
import { infra } from '../helpers/infra';
import { axeViolations, findOverflows } from '../helpers/layout-checks';
import { type Stack, startStack } from '../helpers/stack';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe("the web app's benchmarks page shows the phases, in a real browser", function () {
  this.timeout(60_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  // Set when this suite starts, not when the file is loaded: in the whole browser suite other
  // files run for minutes in between, and the times left shown would no longer match.
  let t0 = 0;
  let shots: string;

  before(async () => {
    buildWebApp();
    await infra();
    t0 = Date.now();
    // No run is submitted: the page shows what GET /v1/benchmarks says, so no worker is needed.
    const file = writeBenchmarksFile('unused-ref', [
      {
        name: 'season',
        evaluator: 'bm-eval',
        phases: [
          { name: 'warm-up', start: iso(t0 - 3 * HOUR), end: iso(t0 - 2 * HOUR) },
          { name: 'development', start: iso(t0 - HOUR), end: iso(t0 + 26 * HOUR + 30 * 60_000), quotas: { perDay: 10, concurrent: 2 } },
          { name: 'final', start: iso(t0 + 48 * HOUR), end: iso(t0 + 72 * HOUR) },
        ],
      },
      { name: 'upcoming', evaluator: 'bm-eval', phases: [{ name: 'only', start: iso(t0 + 2 * HOUR), end: iso(t0 + 3 * HOUR) }] },
      { name: 'plain', evaluator: 'bm-eval' },
    ]);
    stack = await startStack({ workers: 0, env: { BENCHMARKS_FILE: file } });
    browser = await launchChromium();
    shots = screenshotDir();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  for (const width of [1280, 390]) {
    it(`marks the open phase with its time left and the next opening, with nothing overflowing at ${width} px`, async () => {
      // bypassCSP: axe is injected as an inline script, which the app's policy rightly refuses.
      const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
      page = await context.newPage();
      errors = watchConsole(page);
      await page.goto(`${stack.api.url}/benchmarks`);
      await page.locator('[data-benchmark="season"] [data-phase="final"]').waitFor();
      const season = page.locator('[data-benchmark="season"]');
      assert.match((await season.locator('[data-phase-now]').textContent()) ?? '', /open development: 1d 2h left/);
      assert.deepEqual(await season.locator('[data-phase]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-phase'))), ['warm-up', 'development', 'final']);
      assert.equal(await season.locator('[aria-current="step"]').getAttribute('data-phase'), 'development');
      assert.match((await season.locator('[data-phase="development"]').textContent()) ?? '', /10 a day, 2 at once.*open · 1d 2h left/);
      assert.match((await page.locator('[data-benchmark="upcoming"] [data-phase-now]').textContent()) ?? '', /closed only opens .* \(in (1h 59m|2h)\)/);
      assert.equal(await page.locator('[data-benchmark="plain"] .phases').count(), 0, 'a benchmark without phases shows none');
      assert.deepEqual(await findOverflows(page, []), []);
      if (width === 1280) assert.deepEqual(await axeViolations(page), []);
      const height = ((await page.evaluate('document.body.scrollHeight')) as number) + 24;
      await page.screenshot({ path: join(shots, `benchmark-phases-${width}.png`), clip: { x: 0, y: 0, width, height }, fullPage: true });
      assert.deepEqual(errors, [], 'console errors');
      await context.close();
    });
  }

  it('says on the submit form, once a benchmark with phases is chosen, whether it is open and for how long', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = watchConsole(page);
    await page.goto(`${stack.api.url}/submit`);
    const select = page.locator('select[name="benchmark"]');
    await select.getByText('upcoming').waitFor({ state: 'attached' });
    await select.selectOption('upcoming');
    assert.match((await page.locator('[data-phase-now]').textContent()) ?? '', /closed only opens .* \(in (1h 59m|2h)\)/);
    await select.selectOption('season');
    assert.match((await page.locator('[data-phase-now]').textContent()) ?? '', /open development: 1d 2h left/);
    await select.selectOption('plain');
    assert.equal(await page.locator('[data-phase-now]').count(), 0);
    assert.deepEqual(errors, [], 'console errors');
    await context.close();
  });
});
