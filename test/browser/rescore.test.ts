import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunView } from '@modelrun/contracts';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { buildRescoreFixtures } from '../fixtures/benchmark-rescore';
import { fixture } from '../fixtures/images';
import { buildWebApp, launchChromium, screenshotDir } from '../helpers/browser';
import { infra } from '../helpers/infra';
import { axeViolations, findOverflows } from '../helpers/layout-checks';
import { addUsers, signIn } from '../helpers/signed-in';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

const ADMIN_TOKEN = randomBytes(24).toString('hex');

/**
 * Re-scoring from the web app (issue 19), on a real stack: three runs scored by bm-eval (honest
 * 0.75, solo 0.75, peek 0.25), then the worker's evaluator is "fixed" to bm-eval-inverted, which
 * scores the other way round (honest 0.25, peek 0.75). An operator re-scores one run from its
 * page and every run from the board; a member is offered neither.
 */
describe('re-scoring from the web app (issue 19)', function () {
  // Chromium's start and four evaluator containers on the real engine, on a shared machine.
  this.timeout(60_000);
  let stack: Stack;
  let browser: Browser;
  let tokens: Record<string, string>;
  const reference = `modelrun-test-ref-web-rescore-${process.pid}`;
  const runs: Record<string, RunView> = {};
  const contexts: BrowserContext[] = [];
  const watched: string[][] = [];

  before(async function () {
    this.timeout(120_000);
    buildWebApp();
    await infra();
    await Promise.all([buildBenchmarkFixtures(), buildRescoreFixtures()]);
    await createReferenceVolume(reference);
    stack = await startStack({
      env: { API_TOKENS: ADMIN_TOKEN, BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'rs', evaluator: 'bm-eval' }]), WORKER_CONCURRENCY: '3' },
    });
    tokens = await addUsers(stack, ADMIN_TOKEN, [
      { id: 'olga', role: 'operator' },
      { id: 'alice', role: 'member' },
    ]);
    const submitted = await Promise.all(
      (
        [
          ['honest', 'bm-honest'],
          ['solo', 'bm-honest'],
          ['peek', 'bm-peek'],
        ] as const
      ).map(async ([name, image]) => {
        const res = await stack.http
          .post('/v1/models')
          .set('Authorization', `Bearer ${tokens.alice}`)
          .send({ image: fixture(image), name, benchmark: 'rs' });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        return res.body as RunView;
      }),
    );
    for (const r of submitted) {
      const end = await stack.waitForRun(r.id, undefined, 60_000);
      assert.equal(end.status, 'succeeded', JSON.stringify(end));
      assert.ok(end.predictionsBytes !== undefined, 'its predictions are kept');
      runs[end.name] = end;
    }
    assert.deepEqual([runs.honest!.score, runs.solo!.score, runs.peek!.score], [0.75, 0.75, 0.25]);
    // The operator fixes the evaluator: this worker goes, one with the new image comes.
    await stack.workers.shift()!.close('evaluator changed');
    // Six run slots: a worker takes half as many re-scores at once, so all three of the bulk one.
    await stack.startWorker({ BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'rs', evaluator: 'bm-eval-inverted' }]), WORKER_CONCURRENCY: '6' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await removeVolume(reference);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    assert.deepEqual(watched.splice(0).flat(), [], 'console errors');
  });

  const as = async (user: string, width = 1280): Promise<Page> => {
    const { context, page, errors } = await signIn(browser, stack.api.url, tokens[user]!, width);
    contexts.push(context);
    watched.push(errors);
    return page;
  };
  const models = (page: Page) => page.locator('table.board tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model')));

  it('re-scores one run from its page: the outcome, the new score and the score history show without a reload', async () => {
    const page = await as('olga');
    await page.goto(`${stack.api.url}/runs/${runs.solo!.id}`);
    await page.locator('.score[data-score="0.75"]').waitFor();
    assert.equal(await page.locator('.score-history').count(), 0, 'no history before a re-score');
    await page.getByRole('button', { name: 'Re-score', exact: true }).click();
    await page.locator('.rescore-outcome[data-done="true"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.rescore-outcome').textContent(), 'Re-scored: the score changed.');
    await page.locator('.score[data-score="0.25"]').waitFor();
    const rows = page.locator('.score-history tbody tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    assert.deepEqual(await rows.locator('td.num').allTextContents(), ['0.7500', '0.2500'], 'the original score, then the new one');
    assert.equal(await page.locator('table.metrics tbody td').first().textContent(), '0.25', 'the metrics table shows the new metrics');
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: join(screenshotDir(), `rescore-run-${width}.png`), fullPage: true });
      assert.deepEqual(await findOverflows(page, ['.score-history .table-wrap', ...(width < 640 ? ['.timeline'] : [])]), []);
      if (width === 1280) assert.deepEqual(await axeViolations(page), [], 'WCAG 2.1 AA');
    }
  });

  it('re-scores every run from the board after a confirmation: the progress reaches done and the board reorders', async () => {
    const page = await as('olga', 375);
    await page.goto(`${stack.api.url}/benchmarks/rs`);
    await waitFor('the board before', async () => ((await models(page))[0] === 'honest' ? true : undefined), 10_000, 100);
    await page.getByRole('button', { name: 'Re-score all' }).click();
    const question = page.getByRole('alertdialog');
    assert.match((await question.textContent()) ?? '', /Re-score every scored run of rs\?/);
    assert.equal(await page.locator(':focus').textContent(), 'Cancel', 'the safe answer has the focus');
    await page.screenshot({ path: join(screenshotDir(), 'rescore-confirm-375.png'), fullPage: true });
    assert.deepEqual(await findOverflows(page, ['.table-wrap']), []);
    await page.getByRole('button', { name: 'Re-score every run' }).click();
    const progress = page.locator('.rescore-progress[data-done="true"]');
    await progress.waitFor({ timeout: 30_000 });
    // solo was re-scored by this evaluator already: the same score again.
    assert.equal(await progress.textContent(), 'Re-scored rs: 3/3, changed 2, failed 0 (1 unchanged)');
    await waitFor('the board to put peek first', async () => ((await models(page))[0] === 'peek' ? true : undefined), 10_000, 100);
    assert.deepEqual((await models(page)).slice(1).sort(), ['honest', 'solo']);
    await page.screenshot({ path: join(screenshotDir(), 'rescore-board-375.png'), fullPage: true });
    assert.deepEqual(await findOverflows(page, ['.table-wrap']), []);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(screenshotDir(), 'rescore-board-1280.png'), fullPage: true });
    assert.deepEqual(await axeViolations(page), [], 'WCAG 2.1 AA');
  });

  it('offers a member neither control, and the API tells the page they may not', async () => {
    const page = await as('alice');
    await page.goto(`${stack.api.url}/runs/${runs.honest!.id}`);
    await page.locator('.score[data-score]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Re-score', exact: true }).count(), 0);
    const seen = await stack.http.get(`/v1/runs/${runs.honest!.id}`).set('Authorization', `Bearer ${tokens.alice}`);
    assert.equal(seen.body.may.rescore, false);
    await page.goto(`${stack.api.url}/benchmarks/rs`);
    await page.locator('table.board tbody tr').first().waitFor();
    await page.locator('.board-rule').waitFor();
    assert.equal(await page.locator('.rescore-all').count(), 0);
    assert.equal(await page.getByRole('button', { name: /Re-score/ }).count(), 0);
  });
});
