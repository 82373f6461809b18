import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildWebApp, launchChromium } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';

const TOKEN = 'tok-hostile-Ny4Tq8Wd2Kc6Xz0Lb5Rm';

describe('the web app against hostile links, in a real browser (issue 22)', function () {
  // Chromium's start and the web app's build, on a shared machine.
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let url: string;
  const evil: string[] = [];
  const api: string[] = [];

  before(async () => {
    buildWebApp();
    stack = await startStack({ workers: 0, env: { API_TOKENS: TOKEN } });
    url = stack.api.url;
    browser = await launchChromium();
    page = await browser.newPage();
    // There is no network: the other site answers from here, so a page that goes there shows it.
    await page.route('http://evil.example/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>phished</h1>' }));
    page.on('request', (req) => {
      if (new URL(req.url()).hostname === 'evil.example') evil.push(req.url());
      else if (new URL(req.url()).pathname.startsWith('/v1/')) api.push(`${req.method()} ${new URL(req.url()).pathname}`);
    });
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('stays on this site after sign-in when ?next= hides another one behind a tab', async () => {
    await page.goto(`${url}/signin?next=%2F%09%2Fevil.example%2Fphish`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.keyboard.press('Enter');
    // Either the app's home, or (the attack) the other site's page.
    await Promise.race([page.waitForURL(`${url}/`), page.getByRole('heading', { name: 'phished' }).waitFor()]);
    assert.deepEqual(evil, [], 'the browser went to the other site');
    assert.equal(new URL(page.url()).origin, url);
    // And once signed in, the sign-in page's own redirect is held to the same rule.
    await page.goto(`${url}/signin?next=%2F%0D%2Fevil.example%2Fphish`);
    await page.waitForURL(`${url}/`);
    assert.deepEqual(evil, []);
  });

  it('shows a crafted run address as no run, and calls no API path with it', async () => {
    // Off the app first, so the previous page's polls (the leaderboard's GET /v1/models) are not counted.
    await page.goto('about:blank');
    api.length = 0;
    await page.goto(`${url}/runs/..%2Fsession`);
    await page.getByRole('alert').filter({ hasText: 'is not a run id' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /cancel/i }).count(), 0);
    assert.deepEqual(
      api.filter((r) => r !== 'GET /v1/session'),
      [],
      'only the session is read',
    );
  });
});
