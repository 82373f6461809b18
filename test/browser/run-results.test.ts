import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunView } from '@modelrun/contracts';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { buildResultsFixtures } from '../fixtures/benchmark-results';
import { fixture } from '../fixtures/images';
import { buildWebApp, launchChromium, screenshotDir, watchConsole } from '../helpers/browser';
import { infra } from '../helpers/infra';
import { axeViolations, findOverflows } from '../helpers/layout-checks';
import { type Stack, startStack } from '../helpers/stack';

describe("the run page's results of a benchmark run, in a real browser", function () {
  // Chromium's start and one two-step benchmark run on the real engine, on a shared machine.
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let run: RunView;
  const reference = `modelrun-test-ref-web-results-${process.pid}`;

  before(async () => {
    buildWebApp();
    await infra();
    await Promise.all([buildBenchmarkFixtures(), buildResultsFixtures()]);
    await createReferenceVolume(reference);
    stack = await startStack({ env: { BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'wide', evaluator: 'bm-eval-wide-details' }]) } });
    const res = await stack.http.post('/v1/models').send({ image: fixture('bm-honest'), name: 'honest', benchmark: 'wide' });
    run = await stack.waitForRun(res.body.id, undefined, 60_000);
    assert.equal(run.hasDetails, true, JSON.stringify(run));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })).newPage();
    errors = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await removeVolume(reference);
  });
  afterEach(() => {
    assert.deepEqual(errors.splice(0), [], 'console errors');
  });

  for (const width of [1280, 390]) {
    it(`shows the evaluator, the predictions' download and the details' tables at ${width} px, the wide table scrolling in its own box`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${stack.api.url}/runs/${run.id}`);
      await page.locator('.details-table tbody tr').first().waitFor();
      assert.equal(await page.locator('.evaluator-image').getAttribute('title'), run.evaluatorImage);
      assert.equal(await page.locator('a.predictions').getAttribute('href'), `/v1/runs/${run.id}/predictions`);
      assert.equal(await page.locator('.details-table figcaption').textContent(), 'A wide table');
      assert.equal(await page.locator('.details-table thead th').count(), 12);
      assert.equal(await page.locator('.details-table tbody tr').count(), 6);
      assert.equal(await page.locator('.details-table tbody tr').first().locator('td').nth(1).textContent(), '0.1235', 'numbers as the pages format them');
      await page.screenshot({ path: join(screenshotDir(), `run-results-${width}.png`), fullPage: true });
      // Only the table's own box may scroll (and on a phone the timeline, as on every run page): nothing else is wider than its box, nor the page than the window.
      assert.deepEqual(await findOverflows(page, ['.details-table .table-wrap', ...(width < 640 ? ['.timeline'] : [])]), []);
      const box = await page.locator('.details-table .table-wrap').evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      assert.ok(box.scroll > box.client, `the wide table scrolls in its box (${box.scroll} px in ${box.client} px)`);
      if (width === 1280) assert.deepEqual(await axeViolations(page), [], 'WCAG 2.1 AA');
    });
  }

  it('the predictions link downloads the tar', async () => {
    const res = await page.request.get(`${stack.api.url}/v1/runs/${run.id}/predictions`);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['content-type'], 'application/x-tar');
    assert.equal((await res.body()).length, run.predictionsBytes);
  });
});
