import assert from 'node:assert/strict';
import { loadWorkerConfig, parseRedisTarget, redactRedisUrl } from '@modelrun/config';

describe('REDIS_URL', () => {
  it('hands a redis:// URL to ioredis as it is', () => {
    assert.deepEqual(parseRedisTarget('redis://:pw@r.example:6380/1'), { kind: 'standalone', url: 'redis://:pw@r.example:6380/1' });
  });

  it('reads a Sentinel group: every sentinel, the master name, the password', () => {
    const url = 'redis+sentinel://:s%40cret@10.0.0.1:26379,sentinel-b,[::1]:26380/jobs';
    assert.deepEqual(parseRedisTarget(url), {
      kind: 'sentinel',
      url,
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'jobs',
      password: 's@cret',
      db: 0,
    });
  });

  it("reads an ACL user, a database and the sentinels' own password", () => {
    const t = parseRedisTarget('redis+sentinel://modelrun:pw@h:5000/mymaster/3?sentinelPassword=sp');
    assert.equal(t.kind, 'sentinel');
    assert.ok(t.kind === 'sentinel');
    assert.equal(t.username, 'modelrun');
    assert.equal(t.password, 'pw');
    assert.equal(t.db, 3);
    assert.equal(t.sentinelPassword, 'sp');
  });

  const bad: [string, RegExp][] = [
    ['redis+sentinel:///mymaster', /names no sentinel/],
    ['redis+sentinel://h:26379', /names no master group/],
    ['redis+sentinel://h:99999/m', /bad sentinel address "h:99999"/],
    ['redis+sentinel://h/m/x', /\/<master-name>\/<db>/],
    ['redis+sentinel://h/m?sentinelpass=x', /unknown parameter sentinelpass/],
    ['sentinel://h/m', /redis\+sentinel:\/\//],
  ];
  for (const [url, expected] of bad) {
    it(`refuses ${url} and says why`, () => {
      assert.throws(() => parseRedisTarget(url), expected);
    });
  }

  it('names REDIS_URL when the worker is given a bad Sentinel URL, without echoing its password', () => {
    assert.throws(
      () => loadWorkerConfig({ REDIS_URL: 'redis+sentinel://:hunter2@h:1,h:x/m' }),
      (err: Error) => /REDIS_URL: has a bad sentinel address "h:x"/.test(err.message) && !err.message.includes('hunter2'),
    );
  });

  it('never shows a password in the redacted form', () => {
    assert.equal(redactRedisUrl('redis+sentinel://:secret@h1:26379,h2/m'), 'redis+sentinel://:***@h1:26379,h2/m');
    assert.equal(redactRedisUrl('redis+sentinel://secret@h1/m'), 'redis+sentinel://:***@h1/m');
    assert.equal(redactRedisUrl('redis+sentinel://u:secret@h1/m?sentinelPassword=other'), 'redis+sentinel://u:***@h1/m?sentinelPassword=***');
    assert.equal(redactRedisUrl('redis://:secret@h:6379'), 'redis://:***@h:6379');
    assert.equal(redactRedisUrl('redis+sentinel://h1,h2/m'), 'redis+sentinel://h1,h2/m');
  });
});
