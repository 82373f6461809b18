import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { RunView } from '@modelrun/contracts';
import { createReferenceVolume, removeVolume } from '../fixtures/benchmark';
import { buildPrivateFixtures, writePrivateBenchmarksFile } from '../fixtures/benchmark-private';
import { fixture } from '../fixtures/images';
import { buildWebApp, launchChromium, watchConsole } from '../helpers/browser';
import { infra } from '../helpers/infra';
import { type Stack, startStack } from '../helpers/stack';

describe("the run page's Select button, in a real browser (issue 19)", function () {
  // Chromium's start and two two-step benchmark runs on the real engine, on a shared machine.
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let selectable: RunView;
  let ordinary: RunView;
  const reference = `modelrun-test-ref-sel-${process.pid}`;

  before(async () => {
    buildWebApp();
    await infra();
    await buildPrivateFixtures();
    await createReferenceVolume(reference);
    const file = writePrivateBenchmarksFile(reference, [{ name: 'pb-sel', board: { rule: 'selected', selectLimit: 1 } }, { name: 'pb-best' }]);
    stack = await startStack({ env: { BENCHMARKS_FILE: file, WORKER_CONCURRENCY: '2' } });
    const submit = async (benchmark: string) => (await stack.http.post('/v1/models').send({ image: fixture('pb-steady'), name: 'chosen', benchmark })).body as RunView;
    [selectable, ordinary] = [await submit('pb-sel'), await submit('pb-best')];
    for (const r of [selectable, ordinary]) assert.equal((await stack.waitForRun(r.id, undefined, 60_000)).status, 'succeeded');
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

  const selected = async (id: string) => ((await stack.http.get(`/v1/runs/${id}`)).body as RunView).selected;

  it('selects and unselects a run of a selected-rule benchmark, and offers nothing on other benchmarks', async () => {
    await page.goto(`${stack.api.url}/runs/${selectable.id}`);
    await page.getByRole('button', { name: 'Select for the private board' }).click();
    await page.getByRole('button', { name: 'Unselect' }).waitFor();
    assert.equal(await selected(selectable.id), true);
    await page.getByRole('button', { name: 'Unselect' }).click();
    await page.getByRole('button', { name: 'Select for the private board' }).waitFor();
    assert.equal(await selected(selectable.id), false);

    await page.goto(`${stack.api.url}/runs/${ordinary.id}`);
    await page.locator('.score[data-score]').waitFor();
    assert.equal(await page.locator('button.select-run').count(), 0);
  });
});
