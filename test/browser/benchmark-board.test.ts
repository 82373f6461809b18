import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { fixture } from '../fixtures/images';
import { buildWebApp, launchChromium, watchConsole } from '../helpers/browser';
import { infra } from '../helpers/infra';
import { type Stack, startStack } from '../helpers/stack';

describe("the web app's benchmark pages, in a real browser", function () {
  // Chromium's start and three two-step benchmark runs on the real engine, on a shared machine.
  this.timeout(120_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const reference = `modelrun-test-ref-web-${process.pid}`;

  before(async () => {
    buildWebApp();
    await infra();
    await buildBenchmarkFixtures();
    await createReferenceVolume(reference);
    stack = await startStack({ env: { BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'toy', evaluator: 'bm-eval' }]), WORKER_CONCURRENCY: '2' } });
    for (const [image, name] of [
      ['bm-honest', 'honest'],
      ['bm-peek', 'peeker'],
    ] as const) {
      const res = await stack.http.post('/v1/models').send({ image: fixture(image), name, benchmark: 'toy' });
      await stack.waitForRun(res.body.id, undefined, 60_000);
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
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

  const rows = () => page.locator('table.board tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1, 4).map((td) => td.textContent)));

  it('lists the benchmarks and shows a leaderboard with every metric, sortable in each direction', async () => {
    await page.goto(`${stack.api.url}/benchmarks`);
    await page.locator('[data-benchmark="toy"]').waitFor();
    assert.match((await page.locator('[data-benchmark="toy"]').textContent()) ?? '', /error_rate \(lower is better\)/);
    await page.getByRole('link', { name: 'toy' }).click();
    await page.locator('table.board tbody tr').first().waitFor();
    assert.deepEqual(await rows(), [
      ['honest', '0.7500', '0.2500'],
      ['peeker', '0.2500', '0.7500'],
    ]);
    // Who submitted each best run (issue 18): the open deployment's one caller.
    assert.deepEqual(await page.locator('table.board tbody tr .submitter').allTextContents(), ['local', 'local']);
    await page.getByRole('button', { name: 'error_rate' }).click();
    await page.waitForURL(/sort=error_rate&order=best/);
    // Locator waits, not waitForFunction with a string: a string predicate is eval'd in the page,
    // which the app's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    await page.locator('th[aria-sort] button', { hasText: /^error_rate/ }).waitFor();
    assert.deepEqual(
      (await rows()).map((r) => r[0]),
      ['honest', 'peeker'],
      'lowest error first',
    );
    await page.getByRole('button', { name: 'error_rate' }).click();
    await page.waitForURL(/sort=error_rate&order=worst/);
    await page.locator('table.board tbody tr:first-child[data-model="peeker"]').waitFor();
    assert.deepEqual(
      (await rows()).map((r) => r[0]),
      ['peeker', 'honest'],
    );
  });

  it('submits a benchmark run from the submit page', async () => {
    await page.goto(`${stack.api.url}/submit`);
    await page.getByLabel('Benchmark').selectOption('toy');
    await page.getByLabel('Image').fill(fixture('bm-honest'));
    await page.getByLabel('Model name').fill('from-browser');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await page.locator('.badge', { hasText: 'Succeeded' }).first().waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('.run-status .score').textContent(), '0.7500');
  });
});
