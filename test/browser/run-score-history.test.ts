import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { VolumeLayout } from '@modelrun/store';
import { buildWebApp, launchChromium, screenshotDir, watchConsole } from '../helpers/browser';
import { infra } from '../helpers/infra';
import { axeViolations, findOverflows } from '../helpers/layout-checks';
import { type Stack, startStack } from '../helpers/stack';
import { succeededRecord } from '../fixtures/records';

const RESCORE = '01a24c7f-64fb-7530-8030-d1a87e78a299';
const OLD = `sha256:${'ab'.repeat(32)}`;
const NEW = `sha256:${'cd'.repeat(32)}`;

/** A re-scored run's page (issue 19): its record as a re-score leaves it, read by a real API (no engine needed). */
describe("the run page's score history, in a real browser", function () {
  this.timeout(60_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const run = succeededRecord('honest', Date.parse('2026-12-01T12:00:00Z'), {
    benchmark: 'toy',
    score: 0.25,
    metrics: { accuracy: 0.25 },
    evaluatorImage: NEW,
    scoreHistory: [
      { at: '2026-12-01T12:00:00.000Z', score: 0.75, metrics: { accuracy: 0.75 }, evaluatorImage: OLD },
      { at: '2026-12-02T09:00:00.000Z', score: 0.25, metrics: { accuracy: 0.25 }, evaluatorImage: NEW, rescoreId: RESCORE },
      { at: '2026-12-03T09:00:00.000Z', error: 'the evaluator could not score this run', evaluatorImage: NEW, rescoreId: RESCORE.replace('99', '98') },
    ],
  });

  before(async () => {
    buildWebApp();
    await infra();
    stack = await startStack({ workers: 0 });
    const path = new VolumeLayout(stack.dataDir).recordPath(run.name, run.id);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(run));
    await stack.api.feed.rescan();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })).newPage();
    errors = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });
  afterEach(() => {
    assert.deepEqual(errors.splice(0), [], 'console errors');
  });

  for (const width of [1280, 390]) {
    it(`lists each score, the evaluator's short digest and the re-score at ${width} px`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${stack.api.url}/runs/${run.id}`);
      const rows = page.locator('.score-history tbody tr');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 3);
      const cells = async (i: number) => (await rows.nth(i).locator('td').allTextContents()).slice(1);
      assert.deepEqual(await cells(0), ['0.7500', 'abababababab', 'original scoring']);
      assert.deepEqual(await cells(1), ['0.2500', 'cdcdcdcdcdcd', RESCORE]);
      assert.match((await cells(2))[0]!, /failed: the evaluator could not score this run/);
      assert.equal(await rows.nth(1).locator('td').nth(2).getAttribute('title'), NEW, 'the full image as its title');
      await page.screenshot({ path: join(screenshotDir(), `run-score-history-${width}.png`), fullPage: true });
      assert.deepEqual(await findOverflows(page, ['.score-history .table-wrap', ...(width < 640 ? ['.timeline'] : [])]), []);
      if (width === 1280) assert.deepEqual(await axeViolations(page), [], 'WCAG 2.1 AA');
    });
  }
});
