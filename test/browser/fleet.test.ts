import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { HostView, QueueList } from '@modelrun/contracts';
import { buildWebApp, launchChromium, screenshotDir, watchConsole } from '../helpers/browser';
import { docker } from '../helpers/docker';
import { type Stack, startStack } from '../helpers/stack';
import { LONG_MODEL, buildLongModel, release } from '../helpers/two-hosts';
import { fixture } from '../fixtures/images';

const ADMIN_TOKEN = randomBytes(24).toString('hex');

describe('the fleet page, in a real browser', function () {
  // Chromium's start on a shared machine, and one run that runs until the test releases it.
  this.timeout(120_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let shots: string;
  let url: string;
  let runId: string;

  before(async () => {
    buildWebApp();
    shots = screenshotDir();
    await buildLongModel();
    // Two hosts on one engine (named apart): one labelled, one running a run.
    stack = await startStack({ workers: 0, env: { API_TOKENS: ADMIN_TOKEN, ALLOWED_IMAGES: 'modelrun-test/**', WORKER_HOST_ID: 'cpu-host-a' } });
    await stack.startWorker();
    runId = (await stack.submit(fixture(LONG_MODEL), 'fleet-model')).id;
    await stack.waitForPhase(runId, 'running', 60_000);
    await stack.startWorker({ WORKER_HOST_ID: 'cpu-host-b', WORKER_LABELS: 'reference=digits,zone=b' });
    url = stack.api.url;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    errors = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (!process.env.UPDATE_SCREENSHOTS && shots) rmSync(shots, { recursive: true, force: true });
  });

  const host = async (id: string): Promise<HostView> => (await stack.http.get(`/v1/hosts/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body as HostView;

  it('an admin sees every host with its processes and runs, drains one and resumes it', async () => {
    await page.goto(`${url}/signin`);
    await page.getByLabel('API token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${url}/`);
    await page.getByRole('link', { name: 'Fleet', exact: true }).click();
    await page.waitForURL(`${url}/admin/fleet`);
    const a = page.locator('article[data-host="cpu-host-a"]');
    const b = page.locator('article[data-host="cpu-host-b"]');
    await a.locator('[data-running]', { hasText: '1 of 2 slots' }).waitFor();
    await a.getByRole('link', { name: runId.slice(-8) }).waitFor();
    await b.getByText('reference=digits').waitFor();
    await a.locator('[data-images]', { hasText: 'cached' }).waitFor();
    await page.locator('tr[data-queue="runs"]').waitFor();
    await page.screenshot({ path: join(shots, 'fleet-1280.png'), fullPage: true });

    await b.getByRole('button', { name: 'Drain' }).click();
    // Host b runs nothing: drained once its worker has stopped taking runs (its next heartbeat).
    await b.locator('[data-drain="drained"]').waitFor({ timeout: 15_000 });
    assert.equal((await host('cpu-host-b')).drain, 'drained');
    await b.getByRole('button', { name: 'Resume' }).click();
    await b.getByRole('button', { name: 'Drain' }).waitFor();
    assert.equal((await host('cpu-host-b')).drain, 'active');
    assert.equal((await host('cpu-host-a')).drain, 'active', 'the other host was never drained');
    assert.deepEqual(errors.splice(0), []);
  });

  it('an admin pauses a queue for the whole fleet and resumes it', async () => {
    const paused = async (name: string): Promise<boolean | undefined> =>
      ((await stack.http.get('/v1/queues').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body as QueueList).queues.find((q) => q.name === name)?.paused;
    const row = page.locator('tr[data-queue="runs"]');
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.locator('[data-paused="true"]').waitFor();
    assert.equal(await paused('runs'), true);
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.locator('[data-paused="false"]').waitFor();
    assert.equal(await paused('runs'), false);
    assert.deepEqual(errors.splice(0), []);
  });

  it('a member has no Fleet link and the API refuses them the fleet', async () => {
    const made = await stack.http.post('/v1/users').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ id: 'mia', role: 'member' });
    assert.equal(made.status, 201);
    const token = await stack.http.post('/v1/tokens').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ user: 'mia', name: 'test' });
    await page.context().clearCookies();
    await page.goto(`${url}/signin`);
    await page.getByLabel('API token').fill(token.body.token as string);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${url}/`);
    assert.equal(await page.getByRole('link', { name: 'Fleet', exact: true }).count(), 0);
    assert.equal((await stack.http.get('/v1/hosts').set('Authorization', `Bearer ${token.body.token as string}`)).status, 403);
    await release(await docker(), stack.prefix, runId);
    assert.equal((await stack.waitForRun(runId, undefined, 60_000)).status, 'succeeded');
    assert.deepEqual(errors.splice(0), []);
  });
});
