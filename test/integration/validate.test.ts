import assert from 'node:assert/strict';
import { docker } from '../helpers/docker';
import { type CommandResult as Result, explain, modelrun, runCommand as run } from '../helpers/cli';
import { buildFixtures, fixture } from '../fixtures/images';

function validate(...args: string[]): Promise<Result> {
  // A short stop grace keeps the time-limit test quick; the sandbox is otherwise the defaults.
  return modelrun(['validate', ...args], { RUN_STOP_GRACE_SECONDS: '1' });
}

/** The container the report names must be gone: validate always removes what it started. */
async function assertRemoved(r: Result): Promise<void> {
  const name = /container: (\S+) \(removed\)/.exec(r.stdout)?.[1];
  assert.ok(name, `the report names its container:\n${r.stdout}`);
  const d = await docker();
  await assert.rejects(d.getContainer(name).inspect(), (err: { statusCode?: number }) => err.statusCode === 404, `${name} was left behind`);
}

describe('modelrun validate (npm run validate)', function () {
  // Each case starts a container and a tsx process: a couple of seconds, within the default 30 s.
  before(async function () {
    // Builds the fixture images on first use in this test process: a few seconds.
    this.timeout(60_000);
    await buildFixtures();
  });

  it('passes an image that keeps the contract, showing exit code, score, metrics, time and logs', async () => {
    const r = await validate(fixture('score-json'));
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout, /^Exit code:\s+0$/m);
    assert.match(r.stdout, /^Score file:\s+score\.json found and valid$/m);
    assert.match(r.stdout, /^Score:\s+0\.93$/m);
    assert.match(r.stdout, /^\s+accuracy\s+0\.93$/m);
    assert.match(r.stdout, /^\s+loss\s+0\.08$/m);
    assert.match(r.stdout, /^Time taken:\s+\d+\.\d s \(limit 600 s\)$/m);
    assert.match(r.stdout, /\| training on validate run [0-9a-f-]{36}$/m, 'the model got MODEL_NAME and RUN_ID, and its logs are shown');
    assert.match(r.stdout, /^PASS: .* would record score 0\.93\.$/m);
    await assertRemoved(r);
  });

  it("runs the image in the worker's sandbox: read-only root, no network, no capabilities", async () => {
    const r = await validate(fixture('sandbox-probe'));
    assert.equal(r.status, 0, explain(r));
    // The same image outside the sandbox fails its probe, so the pass above means something.
    const d = await docker();
    const c = await d.createContainer({ Image: fixture('sandbox-probe'), Env: ['OUTPUT_DIR=/tmp'] });
    try {
      await c.start();
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      assert.equal(StatusCode, 10, 'plain docker run leaves the root writable');
    } finally {
      await c.remove({ force: true, v: true });
    }
  });

  it('fails an image that exits non-zero, with the code and the last lines of its logs', async () => {
    const r = await validate(fixture('exit-3'));
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stdout, /^Exit code:\s+3$/m);
    assert.match(r.stdout, /\| failing on purpose$/m);
    assert.match(r.stdout, /^FAIL \(exit_code\): the model exited with code 3/m);
    await assertRemoved(r);
  });

  it('fails an image that exits 0 without writing a score', async () => {
    const r = await validate(fixture('no-score'));
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stdout, /^Score file:\s+none found/m);
    assert.match(r.stdout, /^FAIL \(bad_output\): the model exited 0 but wrote no score/m);
    await assertRemoved(r);
  });

  it('fails an image whose score.json is not valid JSON, saying what is wrong with it', async () => {
    const r = await validate(fixture('bad-json'));
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stdout, /^Score file:\s+found but not valid: score\.json is not valid JSON/m);
    assert.match(r.stdout, /^FAIL \(bad_output\)/m);
    await assertRemoved(r);
  });

  it('refuses an image that ships files in /output, as the worker does', async () => {
    const r = await validate(fixture('ships-output'));
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stdout, /^FAIL \(bad_output\): the image already has files in \/output \(score\.json\)/m);
    await assertRemoved(r);
  });

  it('stops a model at its time limit', async () => {
    const r = await validate(fixture('slow'), '--timeout', '1');
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stdout, /^Exit code:\s+\S+ \(stopped at the time limit\)$/m);
    assert.match(r.stdout, /^FAIL \(timeout\): the model ran past its time limit of 1 s/m);
    assert.match(r.stdout, /\| step \d+$/m);
    await assertRemoved(r);
  });

  it('says the check could not be made when the image is not here and its registry is unreachable', async () => {
    // Nothing listens on port 1; an unreachable registry says nothing about the image.
    const r = await validate('127.0.0.1:1/modelrun-test/not-built-anywhere:latest');
    assert.equal(r.status, 3, explain(r));
    assert.match(r.stderr, /the check could not be made: docker: pull 127\.0\.0\.1:1\/modelrun-test\/not-built-anywhere:latest from 127\.0\.0\.1:1: .*connection refused/);
  });

  it('answers a usage error with status 2 and what was wrong', async () => {
    // Through the root script once, to prove `npm run validate` is wired to this command.
    const noImage = await run('npm', ['run', '--silent', 'validate']);
    assert.equal(noImage.status, 2, explain(noImage));
    assert.match(noImage.stderr, /missing required argument 'image'/);
    const tooSmall = await validate(fixture('score-json'), '--memory', '8');
    assert.equal(tooSmall.status, 2, explain(tooSmall));
    assert.match(tooSmall.stderr, /--memory: must be at least 16/);
  });

  it("holds limits to the worker's ceilings, read from the same variables", async () => {
    const r = await modelrun(['validate', fixture('score-json'), '--cpus', '3'], { RUN_CPUS_MAX: '2' });
    assert.equal(r.status, 2, explain(r));
    assert.match(r.stderr, /limits\.cpus: 3 is over the ceiling of 2 CPUs/);
  });
});
