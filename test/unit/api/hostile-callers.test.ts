import assert from 'node:assert/strict';
import { isLoopbackHost } from '../../../apps/api/src/middleware/host-check';
import { MemoryFailureCounter } from '../../../apps/api/src/middleware/failure-counter';
import { publicCheck } from '../../../apps/api/src/routes/health';
import { publicHealth } from '../../../apps/worker/src/metrics';

describe('the API against hostile callers: judgements (issue 22)', () => {
  it('takes only loopback names and addresses, any port, as the Host of an API without tokens', () => {
    const table: [host: string | undefined, loopback: boolean][] = [
      ['127.0.0.1:8081', true],
      ['127.0.0.1', true],
      ['127.255.0.9:1', true],
      ['localhost:8081', true],
      ['LocalHost', true],
      ['localhost.', true],
      ['app.localhost:3000', true],
      ['[::1]:8081', true],
      ['[0:0:0:0:0:0:0:1]', true],
      ['2130706433', true], // 127.0.0.1, as a browser reads it
      ['0x7f.1', true],
      [undefined, false],
      ['', false],
      ['evil.example', false],
      ['evil.example:8081', false],
      ['127.0.0.1.nip.io', false], // resolves to 127.0.0.1: exactly what rebinding does
      ['localhost.evil.example', false],
      ['evillocalhost', false],
      ['128.0.0.1', false],
      ['10.0.0.1:8081', false],
      ['[::ffff:127.0.0.1]', false],
      ['[::2]', false],
      ['evil.example@127.0.0.1', false],
      ['127.0.0.1/evil', false],
      ['127.0.0.1:8081 evil', false],
      ['[::1', false],
    ];
    for (const [host, loopback] of table) assert.equal(isLoopbackHost(host), loopback, JSON.stringify(host));
  });

  it('answers /readyz with states and codes, never an error text', () => {
    const table: [Parameters<typeof publicCheck>[0], ReturnType<typeof publicCheck>][] = [
      [{ ok: true }, { ok: true }],
      [
        { ok: true, state: 'verified' },
        { ok: true, state: 'verified' },
      ],
      [
        { ok: false, code: 'EROFS', error: "EROFS: read-only file system, open '/data/tmp/x.json.tmp'" },
        { ok: false, code: 'EROFS' },
      ],
      [
        { ok: false, error: 'worker-7 since then: ENOSPC' },
        { ok: false, code: 'failed' },
      ],
      [
        { ok: false, code: "ENOENT '/data'", error: 'x' },
        { ok: false, code: 'failed' },
      ],
    ];
    for (const [check, expected] of table) assert.deepEqual(publicCheck(check), expected, JSON.stringify(check));
  });

  it("answers the worker's /healthz with each fault's code and since, never its text", () => {
    const since = '2026-12-06T18:00:00.000Z';
    const h = publicHealth({
      ok: false,
      status: 'volume unwritable: taking no runs',
      volume: { error: "ENOSPC: no space left on device, write '/data/tmp/01a2.json.9.tmp'", since },
      engine: { error: 'connect ECONNREFUSED /var/run/docker.sock', since },
    });
    assert.deepEqual(h, { ok: false, status: 'volume unwritable: taking no runs', volume: { code: 'ENOSPC', since }, engine: { code: 'ECONNREFUSED', since } });
    assert.deepEqual(publicHealth({ ok: false, status: 's', engine: { error: 'no answer from the engine in 5 s', since } }).engine, { code: 'failed', since });
  });

  it('counts failures per key in a window that starts at the first failure', async () => {
    let now = 1_000_000;
    const counter = new MemoryFailureCounter(60_000, () => now);
    assert.deepEqual(await counter.get('a'), { count: 0, resetMs: 0 });
    await counter.add('a');
    now += 30_000;
    await counter.add('a');
    await counter.add('b');
    assert.deepEqual(await counter.get('a'), { count: 2, resetMs: 30_000 }, 'a later failure does not push the window back');
    assert.deepEqual(await counter.get('b'), { count: 1, resetMs: 60_000 });
    now += 30_000;
    assert.deepEqual(await counter.get('a'), { count: 0, resetMs: 0 }, 'the window ended');
    await counter.add('a');
    assert.deepEqual(await counter.get('a'), { count: 1, resetMs: 60_000 }, 'a new window');
  });
});
