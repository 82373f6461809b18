import assert from 'node:assert/strict';
import express from 'express';
import supertest from 'supertest';
import { SESSION_COOKIE, sessionIdOf } from '../../../apps/api/src/middleware/auth';

/** What sessionIdOf reads from a request carrying this Cookie header (none when undefined). */
async function sessionIdFrom(cookieHeader: string | undefined): Promise<string | null> {
  const app = express();
  app.get('/', (req, res) => void res.json(sessionIdOf(req) ?? null));
  const req = supertest(app).get('/');
  const res = await (cookieHeader === undefined ? req : req.set('Cookie', cookieHeader));
  return res.body as string | null;
}

describe('the session cookie is read from the Cookie header', () => {
  const cases: Array<[string, string | undefined, string | null]> = [
    ['no Cookie header', undefined, null],
    ['the session alone', `${SESSION_COOKIE}=abc_DEF-123`, 'abc_DEF-123'],
    ['among other cookies, spaces around', `theme=dark;  ${SESSION_COOKIE} = abc ; other=1`, 'abc'],
    ['a quoted value, unquoted', `${SESSION_COOKIE}="abc"`, 'abc'],
    ['a percent-encoded value, decoded as res.cookie encoded it', `${SESSION_COOKIE}=a%2Fb%3Dc`, 'a/b=c'],
    ['the first of two, as browsers send the most specific first', `${SESSION_COOKIE}=first; ${SESSION_COOKIE}=second`, 'first'],
    ['a name that only ends with the session name', `x${SESSION_COOKIE}=other`, null],
    ['an empty value', `${SESSION_COOKIE}=`, null],
  ];
  for (const [what, header, expected] of cases) {
    it(what, async () => assert.equal(await sessionIdFrom(header), expected));
  }

  it('reads back what res.cookie wrote', async () => {
    const app = express();
    const written = 'a b;c"d';
    app.get('/set', (_req, res) => void res.cookie(SESSION_COOKIE, written).end());
    const setCookie = (await supertest(app).get('/set')).headers['set-cookie'] as unknown as string[];
    const pair = setCookie[0]!.split(';')[0]!;
    assert.equal(await sessionIdFrom(pair), written);
  });
});
