import assert from 'node:assert/strict';
import express, { type RequestHandler } from 'express';
import supertest from 'supertest';
import { helmetFor, securityHeaders } from '../../../apps/api/src/middleware/security-headers';

/** The headers a one-route app answers with, given its header middleware; TLS as a proxy says it. */
async function headersOf(middleware: RequestHandler, overTls: boolean): Promise<Record<string, string>> {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.set('etag', false);
  app.use(middleware);
  app.get('/', (_req, res) => void res.end());
  const res = await supertest(app)
    .get('/')
    .set('X-Forwarded-Proto', overTls ? 'https' : 'http');
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, 'content-length': _length, ...rest } = res.headers as Record<string, string>;
  return rest;
}

describe('security headers', () => {
  for (const overTls of [false, true]) {
    it(`sends helmet's headers ${overTls ? 'over TLS, with upgrade-insecure-requests and COOP' : 'on plain HTTP, without upgrade-insecure-requests or COOP'}`, async () => {
      const sent = await headersOf(securityHeaders(), overTls);
      assert.deepEqual(sent, await headersOf(helmetFor(overTls), overTls));
      assert.ok(sent['content-security-policy'], 'a Content-Security-Policy is sent');
      assert.match(sent['content-security-policy']!, /script-src 'self'/);
      assert.equal(/upgrade-insecure-requests/.test(sent['content-security-policy']!), overTls);
      assert.equal(sent['cross-origin-opener-policy'], overTls ? 'same-origin' : undefined);
      assert.equal(sent['x-content-type-options'], 'nosniff');
    });
  }
});
