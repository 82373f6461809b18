import assert from 'node:assert/strict';
import { toHttpError } from '../../../apps/api/src/middleware/error-mapping';
import * as domain from '../../../apps/api/src/services/errors';

/** What the services throw, and what the client must see: the one place the two meet. */
const CASES: [domain.DomainError, number, string][] = [
  [new domain.InvalidRequest('memoryMb 9000 is over the ceiling of 8192 MiB'), 400, 'bad_request'],
  [new domain.ImageNotAllowed('evil/x', ['team/*']), 403, 'forbidden'],
  [new domain.RunNotFound('01900000-0000-7000-8000-000000000000'), 404, 'not_found'],
  [new domain.NotFound('no user alice'), 404, 'not_found'],
  [new domain.Forbidden('scopes: your credential lacks admin, so it cannot give it'), 403, 'forbidden'],
  [new domain.Conflict('user alice already exists'), 409, 'conflict'],
  [new domain.RunAlreadyEnded('01900000-0000-7000-8000-000000000000', 'failed'), 409, 'conflict'],
  [new domain.IdempotencyConflict('in_progress'), 409, 'conflict'],
  [new domain.TooManyFollowers(), 429, 'rate_limited'],
  [new domain.QueueUnavailable('connect ECONNREFUSED 10.0.0.7:6379'), 503, 'unavailable'],
  [new domain.QuotaExceeded('quota: benchmark digits allows 5 counted submissions', 3600, '2026-12-01T10:00:00.000Z'), 429, 'quota_exceeded'],
];

describe('mapping errors to HTTP', () => {
  for (const [err, status, code] of CASES) {
    it(`answers ${err.name} with ${status} ${code} and its message`, () => {
      const http = toHttpError(err);
      assert.equal(http.status, status);
      assert.equal(http.code, code);
      assert.equal(http.message, err.message);
      assert.deepEqual(http.headers, err.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(err.retryAfterSeconds) });
      assert.ok(!http.message.includes('10.0.0.7'), 'what went wrong underneath stays in the log');
    });
  }

  it('maps every domain error class the services export', () => {
    const classes: unknown[] = Object.values(domain).filter((v) => typeof v === 'function' && v.prototype instanceof domain.DomainError);
    const mapped: unknown[] = CASES.map(([err]) => err.constructor);
    assert.equal(classes.length, 11);
    assert.deepEqual(
      classes.filter((c) => !mapped.includes(c)),
      [],
    );
  });

  it('puts when a quota allows the next submission in the body too', () => {
    const http = toHttpError(new domain.QuotaExceeded('over', 3600, '2026-12-01T10:00:00.000Z'));
    assert.deepEqual(http.extra, { retryAfterSeconds: 3600, nextAllowedAt: '2026-12-01T10:00:00.000Z' });
  });

  it('answers anything else with a bare 500', () => {
    const http = toHttpError(new Error('ENOENT: /srv/modelrun/runs/x.json'));
    assert.equal(http.status, 500);
    assert.equal(http.message, 'internal error');
  });

  it("reads the body parser's errors", () => {
    assert.equal(toHttpError({ type: 'entity.too.large', limit: 100 }).status, 413);
    assert.equal(toHttpError({ type: 'entity.parse.failed' }).code, 'bad_request');
  });
});
