import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import type { Browser } from 'playwright-core';
import { buildWebApp, launchChromium, watchConsole } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';

const TOKEN = 'tok-plain-http-aaaaaaaaaaaa';

/** This machine's first non-loopback IPv4 address (docker0 at least, where Docker runs). */
function lanAddress(): string {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal);
  if (!found) throw new Error('no non-loopback IPv4 address on this machine to reach the API at');
  return found.address;
}

describe('the web app over plain HTTP at a LAN address (a compose stack without TLS)', function () {
  // Chromium's start on a loaded machine.
  this.timeout(60_000);
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    buildWebApp();
    stack = await startStack({ workers: 0, env: { API_TOKENS: TOKEN, HOST: '0.0.0.0' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('loads its own scripts (no upgrade to https) and signs in without console errors', async () => {
    const page = await browser.newPage();
    const errors = watchConsole(page);
    const url = `http://${lanAddress()}:${new URL(stack.api.url).port}`;
    await page.goto(url);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No runs yet.').waitFor();
    assert.deepEqual(errors, []);
  });
});
