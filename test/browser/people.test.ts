import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { fixture } from '../fixtures/images';
import { buildWebApp, launchChromium, watchConsole } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';

const ADMIN_TOKEN = randomBytes(24).toString('hex');

describe('people in the web app, in a real browser', function () {
  // Chromium's start on a shared machine; the runs stay queued (no worker), nothing waits for a container.
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let url: string;
  let memberToken: string;
  let adminsRun: string;

  before(async () => {
    buildWebApp();
    stack = await startStack({ workers: 0, env: { API_TOKENS: ADMIN_TOKEN, ALLOWED_IMAGES: 'modelrun-test/**' } });
    url = stack.api.url;
    adminsRun = (await stack.submit(fixture('score-json'), 'admins-model')).id;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    errors = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const signIn = async (token: string) => {
    await page.goto(`${url}/signin`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${url}/`);
  };

  it('an admin makes a user and a token for them, shown once', async () => {
    await signIn(ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.waitForURL(`${url}/admin/users`);
    await page.getByLabel('User id').fill('mel');
    await page.getByLabel('Role').selectOption('member');
    await page.getByRole('button', { name: 'Add user' }).click();
    const row = page.locator('tr[data-user="mel"]');
    await row.waitFor();
    await row.getByRole('button', { name: 'Make a token' }).click();
    memberToken = (await page.locator('[data-token]').textContent())!.trim();
    assert.match(memberToken, /^mrp_/);
    const whoami = await stack.http.get('/v1/whoami').set('Authorization', `Bearer ${memberToken}`);
    assert.equal(whoami.body.user, 'mel');
    // The audit log says who made them.
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL(`${url}/admin/audit`);
    await page.locator('tr[data-action="token.created"]', { hasText: 'user: mel' }).waitFor();
    await page.locator('tr[data-action="user.created"]', { hasText: 'user:mel' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    assert.deepEqual(errors.splice(0), []);
  });

  it('a member sees a cancel button and the output only on their own run; another run is not there for them', async () => {
    const own = await stack.http
      .post('/v1/models')
      .set('Authorization', `Bearer ${memberToken}`)
      .send({ image: fixture('score-json'), name: 'mels-model' });
    assert.equal(own.status, 202);
    await signIn(memberToken);
    // No admin pages in the nav for a member.
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Queues' }).count(), 0);

    await page.goto(`${url}/runs/${own.body.id}`);
    await page.getByRole('button', { name: 'Cancel run' }).waitFor();
    await page.getByText('mel', { exact: true }).waitFor();

    await page.goto(`${url}/runs/${adminsRun}`);
    await page
      .getByRole('alert')
      .filter({ hasText: `no run with id ${adminsRun}` })
      .waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).count(), 0);
    // The browser logs the refused request (404) as a console error: exactly that one.
    const refused = errors.splice(0);
    assert.ok(refused.length >= 1 && refused.every((e) => /status of 404/.test(e)), refused.join('\n'));
  });

  it("a teammate's run: the member may cancel it, but its output is not shown", async () => {
    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    assert.equal((await stack.http.post('/v1/teams').set(admin).send({ id: 'crew' })).status, 201);
    assert.equal((await stack.http.patch('/v1/users/mel').set(admin).send({ team: 'crew' })).status, 200);
    assert.equal((await stack.http.post('/v1/users').set(admin).send({ id: 'ned', role: 'member', team: 'crew' })).status, 201);
    const nedsToken = (await stack.http.post('/v1/tokens').set(admin).send({ user: 'ned', name: 'ned' })).body.token as string;
    const neds = await stack.http
      .post('/v1/models')
      .set('Authorization', `Bearer ${nedsToken}`)
      .send({ image: fixture('score-json'), name: 'neds-model' });
    await page.goto(`${url}/runs/${neds.body.id}`);
    await page.getByRole('button', { name: 'Cancel run' }).waitFor();
    await page.getByText("Only the run's submitter, operators and admins read its output.").waitFor();
    assert.deepEqual(errors.splice(0), []);
  });

  it('a member makes and revokes their own token on the Tokens page', async () => {
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.waitForURL(`${url}/tokens`);
    await page.getByLabel('Name').fill('laptop');
    await page.getByRole('button', { name: 'Make a token' }).click();
    const made = (await page.locator('[data-token]').textContent())!.trim();
    assert.equal((await stack.http.get('/v1/whoami').set('Authorization', `Bearer ${made}`)).status, 200);
    const row = page.locator('tr', { hasText: 'laptop' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor();
    assert.equal((await stack.http.get('/v1/whoami').set('Authorization', `Bearer ${made}`)).status, 401);
    assert.deepEqual(errors.splice(0), []);
  });
});
