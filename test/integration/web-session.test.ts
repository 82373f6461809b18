import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import supertest from 'supertest';
import { startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { testLogger } from '../helpers/logger';
import { type Stack, startStack } from '../helpers/stack';
import { fixture } from '../fixtures/images';

const TOKEN = 'tok-session-Hd8RkQ2mZx5LpW0nTc4v';

describe('browser sessions', function () {
  let stack: Stack;

  before(async () => {
    // TRUST_PROXY=loopback: the test's own requests may say they came through TLS.
    stack = await startStack({ workers: 0, env: { API_TOKENS: TOKEN, TRUST_PROXY: 'loopback' } });
  });
  after(async () => {
    await stack?.stop();
  });

  async function signIn(headers: Record<string, string> = {}) {
    const res = await stack.http.post('/v1/session').set(headers).send({ token: TOKEN }).expect(200);
    const setCookie = String(res.headers['set-cookie']);
    return { setCookie, cookie: setCookie.split(';')[0]!, csrf: res.body.csrfToken as string };
  }

  it('trades a token for an HttpOnly, SameSite=Strict, expiring cookie, Secure behind TLS', async () => {
    const plain = await signIn();
    assert.match(plain.setCookie, /^modelrun_session=[\w-]{43};/);
    assert.match(plain.setCookie, /HttpOnly/);
    assert.match(plain.setCookie, /SameSite=Strict/);
    assert.match(plain.setCookie, /Max-Age=43200/);
    assert.doesNotMatch(plain.setCookie, /Secure/);
    const tls = await signIn({ 'X-Forwarded-Proto': 'https' });
    assert.match(tls.setCookie, /; Secure/);
    assert.equal((await stack.http.post('/v1/session').send({ token: 'tok-wrong-wrong-wrong' })).status, 401);
  });

  it('keeps the session in Redis, expiring with the cookie', async () => {
    const { cookie } = await signIn();
    const key = `${stack.prefix}:session:${createHash('sha256').update(cookie.split('=')[1]!).digest('hex')}`;
    const redis = new Redis(stack.redisUrl);
    try {
      const ttl = await redis.ttl(key);
      assert.ok(ttl > 43_000 && ttl <= 43_200, `TTL ${ttl}`);
      assert.doesNotMatch((await redis.get(key)) ?? '', new RegExp(TOKEN), 'the token is not stored');
    } finally {
      redis.disconnect();
    }
  });

  it('sends the TLS-only headers only over TLS', async () => {
    const plain = await stack.http.get('/');
    assert.doesNotMatch(plain.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
    assert.equal(plain.headers['cross-origin-opener-policy'], undefined);
    const tls = await stack.http.get('/').set('X-Forwarded-Proto', 'https');
    assert.match(tls.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
    assert.equal(tls.headers['cross-origin-opener-policy'], 'same-origin');
  });

  it('ends every session of a token that is taken out of API_TOKENS', async () => {
    const { cookie } = await signIn();
    // The same deployment (Redis, prefix) restarted with only another token.
    const rotated = await startApi(loadApiConfig({ ...stack.env, API_TOKENS: 'tok-session-Jf3NsY7bGq1XrV9kMe6u' }), testLogger('api'));
    try {
      assert.equal((await supertest(rotated.url).get('/v1/models').set('Cookie', cookie)).status, 401);
      assert.equal((await stack.http.get('/v1/models').set('Cookie', cookie)).status, 200, 'the old API still has the token');
    } finally {
      await rotated.close('test done');
    }
  });

  it('opens the API and the dashboard with the cookie', async () => {
    const { cookie } = await signIn();
    assert.equal((await stack.http.get('/v1/models').set('Cookie', cookie)).status, 200);
    const board = await stack.http.get('/admin/queues').set('Cookie', cookie);
    assert.equal(board.status, 200);
    assert.match(board.text, /<html/i);
    assert.equal((await stack.http.get('/admin/queues')).status, 401);
  });

  it('refuses a write made with the cookie unless it carries the CSRF token', async () => {
    const { cookie, csrf } = await signIn();
    const body = { image: fixture('score-json'), name: 'csrf' };
    const bare = await stack.http.post('/v1/models').set('Cookie', cookie).send(body);
    assert.equal(bare.status, 403);
    assert.match(bare.body.error.message, /x-csrf-token/);
    assert.equal((await stack.http.post('/v1/models').set('Cookie', cookie).set('X-CSRF-Token', 'guess').send(body)).status, 403);
    const ok = await stack.http.post('/v1/models').set('Cookie', cookie).set('X-CSRF-Token', csrf).send(body);
    assert.equal(ok.status, 202);
    // Bearer clients need no CSRF token: nothing sends their header for them.
    assert.equal((await stack.http.post('/v1/models').set(stack.auth).send(body)).status, 202);
  });

  it('ends the session on sign-out: the same cookie no longer gets in', async () => {
    const { cookie, csrf } = await signIn();
    assert.equal((await stack.http.get('/v1/session').set('Cookie', cookie)).body.signedIn, true);
    const out = await stack.http.delete('/v1/session').set('Cookie', cookie).set('X-CSRF-Token', csrf).expect(200);
    assert.match(String(out.headers['set-cookie']), /modelrun_session=;.*Expires=Thu, 01 Jan 1970/);
    assert.equal((await stack.http.get('/v1/models').set('Cookie', cookie)).status, 401);
    assert.equal((await stack.http.get('/v1/session').set('Cookie', cookie)).body.signedIn, false);
  });
});

describe('browser sessions on an API without tokens', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ workers: 0 });
  });
  after(async () => {
    await stack?.stop();
  });

  it('says no sign-in is needed, and has nothing to sign in to', async () => {
    assert.deepEqual((await stack.http.get('/v1/session').expect(200)).body, { authRequired: false, signedIn: false });
    const res = await stack.http.post('/v1/session').send({ token: TOKEN });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /no tokens/);
  });
});
