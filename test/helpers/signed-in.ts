import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Role } from '@modelrun/contracts';
import { watchConsole } from './browser';
import type { Stack } from './stack';

/** A user a browser test signs in as: its role, and its team where the test needs one. */
export interface TestUser {
  id: string;
  role: Role;
  team?: string;
}

/**
 * Creates each user (and each team they name) through the API as the stack's admin, and a token
 * for each: what a browser test of the roles needs before it signs anyone in. Returns id → token.
 */
export async function addUsers(stack: Stack, adminToken: string, users: readonly TestUser[]): Promise<Record<string, string>> {
  const admin = { Authorization: `Bearer ${adminToken}` };
  for (const team of new Set(users.flatMap((u) => (u.team ? [u.team] : [])))) {
    assert.equal((await stack.http.post('/v1/teams').set(admin).send({ id: team })).status, 201);
  }
  const tokens: Record<string, string> = {};
  for (const { id, role, team } of users) {
    const made = await stack.http
      .post('/v1/users')
      .set(admin)
      .send({ id, role, ...(team && { team }) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    tokens[id] = (await stack.http.post('/v1/tokens').set(admin).send({ user: id, name: 'test' })).body.token as string;
  }
  return tokens;
}

/** A page of its own browser context, signed in with `token` through the sign-in page, and its console errors. */
export interface SignedIn {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

/** Signs in with `token` at `url`'s sign-in page (bypassCSP: axe is injected as an inline script). */
export async function signIn(browser: Browser, url: string, token: string, width = 1280): Promise<SignedIn> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(`${url}/signin`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/`);
  return { context, page, errors };
}
