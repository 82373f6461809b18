import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { RUN_QUEUE } from '@modelrun/contracts';
import { jobPriority, routedQueueName } from '@modelrun/queue';
import { buildFixture, fixture } from '../fixtures/images';
import { buildWebApp, launchChromium, screenshotDir, watchConsole } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';
import { testRedis } from '../helpers/redis-server';

const TOKEN = 'tok-browser-Vq3x9LzT0bKp7WmE2sYh';
/** A model's scores over its runs, for a chart with a shape. */
const ALPHA_SCORES = [0.81, 0.86, 0.84, 0.91];

/**
 * Each test runs alone or in any order: the models are made in `before`, and each test gets a
 * fresh browser context, signed in, on the leaderboard. A test that makes a model of its own
 * names it for itself and asserts only relative order on the board.
 */
describe('the web app, in a real browser', function () {
  // Chromium's start and a dozen one-second runs on the real engine, on a shared machine.
  this.timeout(120_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let shots: string;
  let url: string;
  let failedRun: string;

  before(async () => {
    buildWebApp();
    shots = screenshotDir();
    stack = await startStack({ env: { API_TOKENS: TOKEN, WORKER_CONCURRENCY: '2', RUN_ALLOWED_LABELS: 'reference' } });
    url = stack.api.url;
    await Promise.all(ALPHA_SCORES.map((s) => buildFixture(`web-score-${s}`, { script: `echo "epoch 1 loss 0.3"; echo '{"score": ${s}, "metrics": {"accuracy": ${s}}}' > "$OUTPUT_DIR/score.json"` })));
    // One after another, so the chart's runs come in this order.
    for (const s of ALPHA_SCORES) await stack.waitForRun((await stack.submit(fixture(`web-score-${s}`), 'alpha')).id);
    await stack.waitForRun((await stack.submit(fixture('score-plain'), 'beta')).id);
    failedRun = (await stack.waitForRun((await stack.submit(fixture('exit-3'), 'beta')).id)).id;
    // A third model, so the board has more than one page at size 2 whichever test runs first.
    await stack.waitForRun((await stack.submit(fixture('score-json'), 'gamma')).id);
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    errors = watchConsole(page);
    await page.goto(`${url}/signin`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${url}/`);
    await page.locator('tr[data-model="alpha"]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (!process.env.UPDATE_SCREENSHOTS && shots) rmSync(shots, { recursive: true, force: true });
  });
  afterEach(async () => {
    await page?.context().close();
    assert.deepEqual(errors.splice(0), [], 'console errors');
  });

  /** The browser logs a refused request (a 401 the test asked for) as an error: take exactly those. */
  const expectRefused = (count: number) => {
    const refused = errors.splice(0);
    assert.equal(refused.length, count, refused.join('\n'));
    for (const e of refused) assert.match(e, /Failed to load resource: the server responded with a status of 401/);
  };
  /** The user the API takes TOKEN for (an API_TOKENS entry's), as the boards show it. */
  const tokenUser = async () => (await stack.http.get('/v1/whoami').set({ Authorization: `Bearer ${TOKEN}` })).body.user as string;
  /** The page down to the end of its content (no empty window below a short table). */
  const shot = async (name: string) => {
    const height = Math.max(420, ((await page.evaluate('document.body.scrollHeight')) as number) + 24);
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true, clip: { x: 0, y: 0, width: page.viewportSize()!.width, height } });
  };
  const modelsShown = () => page.locator('table.board tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model')));
  /** `shown` has `models` in this order (other tests' models may stand between them). */
  const assertInOrder = (shown: (string | null)[], models: string[]) =>
    assert.deepEqual(
      shown.filter((m) => m !== null && models.includes(m)),
      models,
      `${models.join(', ')} in that order in ${shown.join(', ')}`,
    );

  it('asks for a token, then shows the leaderboard in score order', async () => {
    await page.context().clearCookies();
    await page.goto(url);
    await page.waitForURL(`${url}/signin`);
    await page.getByLabel('API token').fill('tok-not-the-right-one');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not a valid API token' }).waitFor();
    expectRefused(1);
    await page.getByLabel('API token').fill(TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${url}/`);
    await page.locator('tr[data-model="beta"]').waitFor();
    assertInOrder(await modelsShown(), ['gamma', 'alpha', 'beta']);
    assert.equal(await page.locator('tr[data-model="alpha"] .score').textContent(), '0.9100');
    // Who submitted the best run (issue 18): the API_TOKENS entry's user.
    assert.equal(await page.locator('tr[data-model="alpha"] .submitter').textContent(), await tokenUser());
  });

  it('sorts from the keyboard, and updates live when a run finishes', async () => {
    await page.getByRole('button', { name: 'Model' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Model' }).waitFor();
    const byName = await modelsShown();
    assert.deepEqual(byName, [...byName].sort());
    await page.getByRole('button', { name: 'Best score' }).click();
    await page.locator('th[aria-sort="descending"]', { hasText: 'Best score' }).waitFor();
    const run = await stack.submit(fixture('score-json'), 'live');
    await page.locator('tr[data-model="live"] .score', { hasText: '0.9300' }).waitFor({ timeout: 30_000 });
    assertInOrder(await modelsShown(), ['live', 'alpha', 'beta']);
    await stack.waitForRun(run.id);
    await shot('leaderboard');
  });

  it('pages through the models', async () => {
    // The whole board first: other tests may have added models to it.
    const all = await modelsShown();
    const n = all.length;
    assert.ok(n >= 3, `three models or more: ${all.join(', ')}`);
    await page.goto(`${url}/?size=2`);
    await page.getByText(`1–2 of ${n}`).waitFor();
    assert.deepEqual(await modelsShown(), all.slice(0, 2));
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText(`3–${Math.min(4, n)} of ${n}`).waitFor();
    assert.deepEqual(await modelsShown(), all.slice(2, 4));
    assert.equal(await page.locator('td.rank').first().textContent(), '3');
    assert.equal(await page.getByRole('button', { name: 'Next →' }).isDisabled(), n <= 4);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText(`1–2 of ${n}`).waitFor();
  });

  it('fits a phone-width window', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      for (const path of ['/', '/models/alpha', '/submit']) {
        await page.goto(`${url}${path}`);
        await page.locator('main h1').waitFor();
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        assert.ok(overflow <= 0, `${path} is ${overflow} px wider than the window`);
      }
    } finally {
      await page.setViewportSize({ width: 1200, height: 820 });
      await page.goto(url);
    }
  });

  it('opens a model and draws its score over its runs', async () => {
    await page.getByRole('link', { name: 'alpha' }).click();
    await page.waitForURL(`${url}/models/alpha`);
    await page.locator('.chart-box canvas').waitFor();
    assert.equal(await page.locator('.chart-box').getAttribute('data-points'), String(ALPHA_SCORES.length));
    assert.equal(await page.locator('table.runs tbody tr').count(), ALPHA_SCORES.length);
    assert.deepEqual(new Set(await page.locator('table.runs tbody tr .submitter').allTextContents()), new Set([await tokenUser()]), 'each run names its submitter');
    await shot('model');
  });

  it('submits a run that needs a host label, at a priority, from the form; its page says what it waits for', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Image').fill(fixture('score-json'));
    await page.getByLabel('Model name').fill('unplaced');
    // The keys RUN_ALLOWED_LABELS allows, and (an admin here) the priority.
    await page.getByLabel('Host label reference').fill('nowhere');
    await page.getByLabel('Priority').selectOption('2');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    const id = new URL(page.url()).pathname.split('/').pop()!;
    await page.locator('.waiting-for', { hasText: `a host with reference=nowhere (no live host has it; hosts: ${stack.workers[0]!.hostId})` }).waitFor();
    const view = (await stack.http.get(`/v1/runs/${id}`).set(auth).expect(200)).body as { requires?: string[] };
    assert.deepEqual(view.requires, ['reference=nowhere']);
    // Its job waits in the queue of that label, at level 2 (its submitter's first waiting run there).
    const conn = testRedis(stack.redisUrl);
    const queue = new Queue(routedQueueName(RUN_QUEUE, ['reference=nowhere']), { connection: conn, prefix: stack.prefix });
    try {
      assert.equal((await queue.getJob(id))?.opts.priority, jobPriority(2, 1));
    } finally {
      await queue.close();
      conn.disconnect();
    }
    await stack.http.delete(`/v1/runs/${id}`).set(auth).expect(202);
  });

  it("offers Re-run to an admin, not to a member on their own run; the re-run's page names the run it repeats", async () => {
    const admin = { Authorization: `Bearer ${TOKEN}` };
    assert.equal((await stack.http.post('/v1/users').set(admin).send({ id: 'mia', role: 'member' })).status, 201);
    const made = await stack.http.post('/v1/tokens').set(admin).send({ user: 'mia', name: 'web' });
    const mine = await stack.http
      .post('/v1/models')
      .set({ Authorization: `Bearer ${made.body.token as string}` })
      .send({ image: fixture('score-json'), name: 'mias' });
    await stack.waitForRun(mine.body.id as string);
    const member = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    const memberErrors = watchConsole(member);
    try {
      await member.goto(`${url}/signin`);
      await member.getByLabel('API token').fill(made.body.token as string);
      await member.keyboard.press('Enter');
      await member.waitForURL(`${url}/`);
      await member.goto(`${url}/runs/${mine.body.id as string}`);
      await member.locator('dd.submitter', { hasText: 'mia' }).waitFor();
      assert.equal(await member.getByRole('button', { name: 'Re-run' }).count(), 0, 'no Re-run for a member');
      assert.deepEqual(memberErrors, []);
    } finally {
      await member.context().close();
    }
    await page.goto(`${url}/runs/${mine.body.id as string}`);
    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/runs/') && !u.pathname.endsWith(mine.body.id as string));
    await page.locator('dd', { hasText: `${mine.body.id as string}` }).waitFor();
    assert.match((await page.locator('dl.kv').first().textContent()) ?? '', /Re-run of.*asked by/s);
    assert.equal(await page.locator('dd.submitter').textContent(), 'mia', "the re-run is the member's run");
  });

  it('says in words why a run failed', async () => {
    await page.goto(`${url}/runs/${failedRun}`);
    await page.locator('.failure', { hasText: 'The model exited with an error' }).waitFor();
    assert.match((await page.locator('.failure').textContent()) ?? '', /exit_code.*exited with code 3/s);
    assert.equal(await page.locator('.step-failed').count(), 1);
    await page.locator('.output pre', { hasText: 'failing on purpose' }).waitFor();
  });

  it('submits a run and shows it through to succeeded, with its score and output', async () => {
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Image').fill(fixture('score-json'));
    await page.getByLabel('Model name').fill('delta');
    await page.getByLabel('Time limit').fill('60');
    await shot('submit');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await page.locator('.badge', { hasText: 'Succeeded' }).first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.run-status .score').textContent(), '0.9300');
    await page.locator('.output pre', { hasText: 'training on delta' }).waitFor();
    assert.equal(await page.locator('.step-done').count(), 6, 'every step of the timeline is done');
    assert.match((await page.locator('.kv').nth(1).textContent()) ?? '', /Time limit60 s/);
    await shot('run');
  });

  it('streams a running run’s output and cancels it', async () => {
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Image').fill(fixture('slow'));
    await page.getByLabel('Model name').fill('delta');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await page.locator('.output pre', { hasText: 'step 3' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('.run-status .badge', { hasText: 'Cancelled' }).waitFor({ timeout: 20_000 });
    await page.locator('.failure', { hasText: 'It was cancelled' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).count(), 0);
  });

  it('opens Bull Board with the same session', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.waitForURL(`${url}/admin/queues`);
    await page.getByText('runs', { exact: true }).first().waitFor({ timeout: 20_000 });
  });

  it('serves the API reference, generated from the contracts, at /docs', async () => {
    await page.goto(`${url}/docs`);
    await page.locator('.opblock-summary-path', { hasText: '/v1/runs/{id}/logs' }).waitFor({ timeout: 20_000 });
    await page.getByText('RunSummary', { exact: true }).first().waitFor();
  });

  it('signs out: the session no longer opens anything, and the dashboard asks to sign in again', async () => {
    await page.goto(url);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/signin`);
    const status = await page.evaluate(async () => (await fetch('/v1/models')).status);
    assert.equal(status, 401);
    expectRefused(1);
    // A browser opening the dashboard signed out is asked to sign in, then taken back to it.
    await page.goto(`${url}/admin/queues`);
    await page.waitForURL(`${url}/signin?next=%2Fadmin%2Fqueues`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${url}/admin/queues`);
    await page.getByText('runs', { exact: true }).first().waitFor({ timeout: 20_000 });
  });
});
