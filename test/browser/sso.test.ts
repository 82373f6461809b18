import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type Provider from 'oidc-provider' with { 'resolution-mode': 'import' };
import type { AuditEntry, User } from '@modelrun/contracts';
import { buildWebApp, launchChromium, watchConsole } from '../helpers/browser';
import { freePort } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
const CLIENT_ID = 'modelrun-test';
const CLIENT_SECRET = randomBytes(24).toString('base64url');

/** The provider's people: their groups decide their role and team in modelrun. */
const ACCOUNTS: Record<string, { name: string; groups: string[] }> = {
  olga: { name: 'Olga Ops', groups: ['mr-ops', 'staff'] },
  rita: { name: 'Rita Red', groups: ['mr-members', 'grp-red'] },
  nobody: { name: 'No Body', groups: ['staff'] },
};

describe('single sign-on through a real OpenID provider, in a real browser', function () {
  // Chromium's start and a real provider's pages on a shared machine; no runs, no containers.
  this.timeout(60_000);
  let stack: Stack;
  let browser: Browser;
  let providerServer: Server;
  let provider: Provider;
  let url: string;
  /** How long an authorization code lives at the provider, in seconds (one test shortens it). */
  let codeTtlSeconds = 60;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  before(async () => {
    buildWebApp();
    // The provider is on `localhost`, the API on `127.0.0.1`: two sites, as a provider and an
    // app are, so the browser applies SameSite to the redirects between them as it would for real.
    const providerPort = await freePort();
    const issuer = `http://localhost:${providerPort}`;
    const apiPort = await freePort();
    url = `http://127.0.0.1:${apiPort}`;
    const { default: ProviderClass } = await import('oidc-provider');
    provider = new ProviderClass(issuer, {
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${url}/auth/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
      // Any login the provider's development pages take is an account here if ACCOUNTS has it.
      findAccount: (_ctx, id) => {
        const account = ACCOUNTS[id];
        return account && { accountId: id, claims: () => ({ sub: `sub-${id}`, preferred_username: id, name: account.name, groups: account.groups }) };
      },
      claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
      scopes: ['openid', 'profile', 'groups'],
      // Each lifetime set, so the provider does not print a notice per default it uses.
      ttl: { AuthorizationCode: () => codeTtlSeconds, AccessToken: 600, IdToken: 600, Grant: 3600, Interaction: 600, Session: 3600 },
      // Expiry exactly at the ttl (the default tolerates 15 s of clock skew).
      clockTolerance: 0,
      cookies: { keys: [randomBytes(16).toString('hex')] },
    });
    providerServer = createServer(provider.callback());
    await new Promise<void>((resolve) => providerServer.listen(providerPort, '127.0.0.1', resolve));
    stack = await startStack({
      workers: 0,
      env: {
        API_TOKENS: ADMIN_TOKEN,
        PORT: String(apiPort),
        OIDC_ISSUER: issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        OIDC_CLIENT_SECRET: CLIENT_SECRET,
        OIDC_REDIRECT_URL: `${url}/auth/oidc/callback`,
        OIDC_PROVIDER_NAME: 'Test ID',
        OIDC_SCOPES: 'openid profile groups',
        OIDC_ROLE_GROUPS: 'admin:mr-admins,operator:mr-ops,member:mr-members',
        OIDC_TEAM_GROUPS: 'red:grp-red',
      },
    });
    assert.equal(stack.api.url, url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    providerServer?.closeAllConnections();
    providerServer?.close();
  });

  /** A browser of its own per person: no cookies, no provider session. */
  const fresh = async (): Promise<{ context: BrowserContext; page: Page; errors: string[] }> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    return { context, page, errors: watchConsole(page) };
  };

  /** From modelrun's sign-in page to the provider's consent page, through its login page. */
  const toConsent = async (page: Page, login: string) => {
    await page.goto(`${url}/signin`);
    await page.getByRole('button', { name: 'Sign in with Test ID' }).click();
    await page.waitForURL((u) => u.hostname === 'localhost');
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).waitFor();
  };
  const throughProvider = async (page: Page, login: string) => {
    await toConsent(page, login);
    await page.getByRole('button', { name: 'Continue' }).click();
  };
  /**
   * The provider's answer (the callback URL with its code and state), held back from the API: the
   * consent is given with the browser's cookies but without following the provider's redirects
   * (a browser cannot be stopped between redirects), so a test can change it, wait, or replay it.
   */
  const heldAnswer = async (page: Page, login: string): Promise<URL> => {
    await toConsent(page, login);
    const action = await page.locator('form').getAttribute('action');
    const request = page.context().request;
    let res = await request.post(new URL(action!, page.url()).href, { form: { prompt: 'consent' }, maxRedirects: 0 });
    for (let hop = 0; hop < 5; hop++) {
      const location = res.headers().location;
      assert.ok(location, `the provider answered ${res.status()} without a redirect: ${await res.text()}`);
      const next = new URL(location, res.url());
      if (next.origin === url) return next;
      res = await request.get(next.href, { maxRedirects: 0 });
    }
    throw new Error('the provider redirected more than 5 times');
  };

  const whoami = (page: Page) => page.evaluate(async () => (await fetch('/v1/whoami', { headers: { Accept: 'application/json' } })).json() as Promise<Record<string, unknown>>);
  const sessionCookie = async (context: BrowserContext) => (await context.cookies(url)).find((c) => c.name === 'modelrun_session');
  const audit = async (action: string): Promise<AuditEntry[]> => {
    const res = await stack.http.get('/v1/audit?limit=100').set(admin);
    return (res.body.entries as AuditEntry[]).filter((e) => e.action === action);
  };
  const refusal = (page: Page, words: RegExp) => page.getByRole('alert').filter({ hasText: words }).waitFor();
  /** Console errors of modelrun's pages (the provider's development pages are not under test). */
  const ours = (errors: string[]) => errors.filter((e) => e.startsWith(url));

  it('the sign-in page offers the provider; an operator signs in, made at the first sign-in, with the role of their groups', async () => {
    const providers = await stack.http.get('/v1/session/providers');
    assert.deepEqual(providers.body, { providers: [{ id: 'oidc', name: 'Test ID', signInUrl: '/auth/oidc/login' }] });
    assert.equal((await stack.http.get('/v1/users/olga').set(admin)).status, 404);

    const { context, page, errors } = await fresh();
    await throughProvider(page, 'olga');
    await page.waitForURL(`${url}/`);
    // Operator things: the queues, not the user admin.
    await page.getByRole('link', { name: 'Queues' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
    assert.deepEqual(await whoami(page), { user: 'olga', role: 'operator', scopes: ['read', 'submit', 'admin'], via: 'session' });
    const cookie = await sessionCookie(context);
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));

    const users = (await stack.http.get('/v1/users').set(admin)).body.users as User[];
    const olga = users.find((u) => u.id === 'olga');
    assert.deepEqual(olga && { ...olga, createdAt: 'x' }, { id: 'olga', role: 'operator', displayName: 'Olga Ops', source: 'sso', createdAt: 'x' });
    const [entry] = await audit('sso.signin');
    assert.equal(entry?.actor, 'olga');
    assert.equal(entry?.target, 'user:olga');
    assert.ok(entry?.address, 'the sign-in names the address it came from');
    assert.deepEqual(entry?.details, { provider: 'Test ID', role: 'operator', created: 'yes' });
    assert.deepEqual(ours(errors), []);
    await context.close();
  });

  it('sign-out ends the session; the next sign-in brings role and team in line with the groups', async () => {
    const { context, page, errors } = await fresh();
    await throughProvider(page, 'olga');
    await page.waitForURL(`${url}/`);
    const cookie = await sessionCookie(context);
    assert.ok(cookie);
    const withCookie = { Cookie: `${cookie.name}=${cookie.value}` };
    assert.equal((await stack.http.get('/v1/whoami').set(withCookie)).body.user, 'olga');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/signin`);
    assert.equal((await stack.http.get('/v1/whoami').set(withCookie)).status, 401);
    assert.equal((await stack.http.get('/v1/session').set(withCookie)).body.signedIn, false);

    // Moved to the members of team red at the provider: the next sign-in says so (the provider
    // remembers her, so no login page this time).
    ACCOUNTS.olga!.groups = ['mr-members', 'grp-red'];
    await page.getByRole('button', { name: 'Sign in with Test ID' }).click();
    await page.waitForURL(`${url}/`);
    assert.deepEqual(await whoami(page), { user: 'olga', role: 'member', team: 'red', scopes: ['read', 'submit', 'admin'], via: 'session' });
    assert.equal(await page.getByRole('link', { name: 'Queues' }).count(), 0);
    const [latest] = await audit('sso.signin');
    assert.deepEqual(latest?.details, { provider: 'Test ID', role: 'member', team: 'red', roleChanged: 'operator -> member', teamChanged: '(none) -> red' });
    // The team named in OIDC_TEAM_GROUPS was made for her.
    assert.ok(((await stack.http.get('/v1/teams').set(admin)).body.teams as { id: string }[]).some((t) => t.id === 'red'));
    assert.deepEqual(ours(errors), []);
    await context.close();
  });

  it('a tampered state is refused with no session, and so is the untampered answer after it', async () => {
    const { context, page } = await fresh();
    const answer = await heldAnswer(page, 'rita');
    assert.equal(answer.pathname, '/auth/oidc/callback');
    const changed = new URL(answer);
    changed.searchParams.set('state', `${answer.searchParams.get('state')}x`);
    assert.equal((await page.goto(changed.href))?.status(), 400);
    await refusal(page, /state does not match/);
    assert.equal(await sessionCookie(context), undefined);
    assert.equal((await page.evaluate(async () => (await (await fetch('/v1/session')).json()) as { signedIn: boolean })).signedIn, false);

    // The sign-in was spent by the refusal: the provider's real answer does not sign in either.
    const replay = await page.goto(answer.href);
    assert.equal(replay?.status(), 400);
    await refusal(page, /no sign-in under way/);
    assert.equal(await sessionCookie(context), undefined);
    // An API client gets the API's error body.
    const json = await stack.http.get(answer.pathname + answer.search).set('Accept', 'application/json');
    assert.equal(json.status, 400);
    assert.equal(json.body.error.code, 'bad_request');
    assert.equal((await stack.http.get('/v1/users/rita').set(admin)).status, 404);
    await context.close();
  });

  it('an expired code is refused with no session', async () => {
    codeTtlSeconds = 1;
    try {
      const { context, page } = await fresh();
      // The provider's answer is held back from the API until its code has expired.
      const answer = await heldAnswer(page, 'rita');
      const code = answer.searchParams.get('code');
      assert.ok(code);
      await waitFor('the code to expire at the provider', async () => ((await provider.AuthorizationCode.find(code)) ? undefined : true), 10_000, 200);
      const res = await page.goto(answer.href);
      assert.equal(res?.status(), 400);
      await refusal(page, /refused the sign-in code: it expired, was already used/);
      assert.equal(await sessionCookie(context), undefined);
      assert.equal((await stack.http.get('/v1/users/rita').set(admin)).status, 404);
      await context.close();
    } finally {
      codeTtlSeconds = 60;
    }
  });

  it('a person in no mapped group is refused, and the refusal is audited', async () => {
    const { context, page } = await fresh();
    await throughProvider(page, 'nobody');
    await refusal(page, /none of the groups this deployment maps to a role .*the groups staff/);
    assert.equal(await sessionCookie(context), undefined);
    assert.equal((await stack.http.get('/v1/users/nobody').set(admin)).status, 404);
    const [refused] = await audit('sso.refused');
    assert.equal(refused?.actor, 'nobody');
    assert.equal(refused?.details?.reason, 'no mapped group');
    await context.close();
  });

  it('the provider down: a page that says so, and no session', async () => {
    const { context, page } = await fresh();
    const answer = await heldAnswer(page, 'rita');
    providerServer.closeAllConnections();
    await new Promise<void>((resolve) => providerServer.close(() => resolve()));
    const res = await page.goto(answer.href);
    assert.equal(res?.status(), 503);
    await refusal(page, /provider could not be reached/);
    assert.equal(await sessionCookie(context), undefined);
    await context.close();
  });
});
