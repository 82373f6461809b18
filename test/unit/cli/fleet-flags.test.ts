import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../apps/cli/src/program';

/**
 * The command line is checked before any request: the URL is a port nothing listens on, so a
 * request would be exit 3 (unreachable), and each of these must be exit 2 with its reason.
 */
async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let errText = '';
  err.on('data', (d: Buffer) => (errText += d.toString()));
  out.resume();
  const code = await runCli(argv, {
    term: { out, err, interactive: false },
    env: { MODELRUN_URL: 'http://127.0.0.1:9' },
    signal: new AbortController().signal,
    result: { code: 0 },
  });
  return { code, err: errText };
}

describe('CLI: the fleet flags, refused before any request', () => {
  it('(a request to that URL is exit 3)', async () => {
    assert.equal((await cli('queues')).code, 3);
  });

  it('submit --requires wants key=value', async () => {
    const r = await cli('submit', 'reg.example/m:1', '--name', 'm', '--requires', 'gpu');
    assert.deepEqual(r, { code: 2, err: 'modelrun: --requires: "gpu" is not key=value (e.g. --requires gpu=a100)\n' });
  });

  it("submit --requires checks a label's key and value as the API does", async () => {
    const r = await cli('submit', 'reg.example/m:1', '--name', 'm', '--requires', 'zone=a b');
    assert.equal(r.code, 2);
    assert.match(r.err, /^modelrun: --requires: must be 1-63 of letters, digits/);
  });

  for (const level of ['0', '10', '1.5', 'high'])
    it(`submit --priority ${level} is not a level`, async () => {
      const r = await cli('submit', 'reg.example/m:1', '--name', 'm', '--priority', level);
      assert.deepEqual(r, { code: 2, err: `modelrun: --priority: "${level}" is not a level from 1 (first) to 9 (last)\n` });
    });

  it('queues pause wants one queue or --all, not neither nor both', async () => {
    assert.deepEqual(await cli('queues', 'pause'), { code: 2, err: 'modelrun: name one queue or give --all, not neither\n' });
    assert.deepEqual(await cli('queues', 'resume', 'runs', '--all'), { code: 2, err: 'modelrun: name one queue or give --all, not both\n' });
  });

  it('queues pause refuses what is not a queue name', async () => {
    const r = await cli('queues', 'pause', 'runs/../x');
    assert.equal(r.code, 2);
    assert.match(r.err, /"runs\/\.\.\/x" is not a queue name/);
  });
});
