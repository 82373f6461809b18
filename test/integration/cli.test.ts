import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, fixture } from '../fixtures/images';
import { type CommandResult, explain, modelrun, runCommand, startModelrun } from '../helpers/cli';
import { testLogger } from '../helpers/logger';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { ModelDetail, ModelPage, RunView } from '@modelrun/contracts';

/** Prints a line every half second for about three seconds, then scores: a run to watch. */
const TICKING = { script: `for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.5; done; echo '{"score": 0.71, "metrics": {"ticks": 6}}' > "$OUTPUT_DIR/score.json"` };

/** A port nothing listens on: one the kernel just gave out and was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const json = <T>(r: CommandResult, schema: { parse(v: unknown): T }): T => schema.parse(JSON.parse(r.stdout));

describe('modelrun (the CLI) against a real API and worker', function () {
  // Each case spawns the CLI (tsx start-up, about a second) and most run a container.
  this.timeout(60_000);
  let stack: Stack;
  /** The API started again in place of the stack's (stack.stop() closes only the one it started). */
  let restartedApi: Stack['api'] | undefined;
  let env: Record<string, string>;
  const cli = (...args: string[]): Promise<CommandResult> => modelrun(args, env);

  before(async function () {
    // Builds the fixtures on first use in this test process, and one of its own: a few seconds.
    this.timeout(120_000);
    stack = await startStack();
    await buildFixture('cli-ticking', TICKING);
    env = { MODELRUN_URL: stack.api.url, MODELRUN_TOKEN: '' };
  });
  after(async () => {
    await restartedApi?.close('test done');
    await stack?.stop();
  });

  it('submit --wait shows the phases, then the score and metrics, and exits 0', async () => {
    const r = await cli('submit', fixture('cli-ticking'), '--name', 'cli-ticking', '--wait');
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout, /^submitted run [0-9a-f-]{36} \(cli-ticking, modelrun-test\/cli-ticking:latest\)$/m);
    // Not a terminal: a line per phase, with the time since the watch began, never a spinner.
    assert.match(r.stdout, /^\[\s+\d+\.\d s\] queued, waiting for a worker/m);
    assert.match(r.stdout, /^\[\s+\d+\.\d s\] running \d+\.\d s$/m);
    assert.match(r.stdout, /^succeeded in \d+\.\d s from submission \(the model ran \d+\.\d s\): score 0\.71$/m);
    assert.match(r.stdout, /^\s+ticks\s+6$/m);
    assert.doesNotMatch(r.stdout, /\x1b|\r/, 'no colours or redraws when stdout is not a terminal');
  });

  it('submit --wait on a failing model exits 1 with the reason and the error', async () => {
    const r = await cli('submit', fixture('exit-3'), '--name', 'cli-failing', '--wait');
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stdout, /^failed \(exit_code\) in \d+\.\d s from submission \(the model ran \d+\.\d s\): the model exited with code 3$/m);
  });

  it('submit --wait --json prints the finished run, parseable with the contract', async () => {
    const failed = await cli('--json', 'submit', fixture('bad-json'), '--name', 'cli-bad-output', '--wait');
    assert.equal(failed.status, 1, explain(failed));
    const run = json(failed, RunView);
    assert.equal(run.status, 'failed');
    assert.equal(run.reason, 'bad_output');
    assert.match(run.error ?? '', /score\.json is not valid JSON/);
    const ok = await cli('--json', 'submit', fixture('score-json'), '--name', 'cli-good', '--wait', '--memory', '64');
    assert.equal(ok.status, 0, explain(ok));
    const good = json(ok, RunView);
    assert.deepEqual([good.status, good.score, good.limits.memoryMb], ['succeeded', 0.93, 64]);
  });

  it('submit without --wait prints the queued run and leaves at once', async () => {
    const r = await cli('--json', 'submit', fixture('score-json'), '--name', 'cli-nowait');
    assert.equal(r.status, 0, explain(r));
    const run = json(r, RunView);
    assert.equal(run.status, 'queued');
    await stack.waitForRun(run.id);
  });

  it('submit --logs streams the output while it runs, then the outcome', async () => {
    const r = await cli('submit', fixture('cli-ticking'), '--name', 'cli-ticking', '--logs');
    assert.equal(r.status, 0, explain(r));
    const ticks = [...r.stdout.matchAll(/^tick (\d)$/gm)].map((m) => m[1]);
    assert.deepEqual(ticks, ['1', '2', '3', '4', '5', '6'], 'every line of output, once, in order');
    assert.ok(r.stdout.indexOf('tick 6') < r.stdout.indexOf('succeeded in'), 'the output comes before the outcome');
  });

  it("models and model list the leaderboard and a model, as tables and as the contract's JSON", async () => {
    const page = json(await cli('--json', 'models'), ModelPage);
    const names = page.models.map((m) => m.name);
    assert.ok(names.indexOf('cli-good') < names.indexOf('cli-ticking'), `best score first: ${names.join(', ')}`);
    assert.ok(names.includes('cli-failing'));
    const table = await cli('models');
    assert.equal(table.status, 0, explain(table));
    assert.match(table.stdout, /^#\s+MODEL\s+BEST\s+RUNS\s+LATEST/m);
    assert.match(table.stdout, /^\d+\s+cli-failing\s+-\s+1\s+failed \(exit_code\)/m);
    const detail = json(await cli('--json', 'model', 'cli-ticking'), ModelDetail);
    assert.equal(detail.runCount, 2);
    assert.equal(detail.bestScore, 0.71);
    const shown = await cli('model', 'cli-ticking');
    assert.match(shown.stdout, /^cli-ticking: 2 runs, best score 0\.71 \(run [0-9a-f-]{36}\)$/m);
  });

  it('run shows a failed run with its reason, error and exit code', async () => {
    const failing = json(await cli('--json', 'model', 'cli-failing'), ModelDetail);
    const r = await cli('run', failing.latestRun.id);
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout, /^status:\s+failed \(exit_code\)$/m);
    assert.match(r.stdout, /^error:\s+the model exited with code 3$/m);
    assert.match(r.stdout, /^exit code:\s+3$/m);
  });

  it('logs drops the escape sequences and control characters a model printed, unless --raw', async function () {
    // A fixture build, a run and two CLI start-ups, on a loaded machine.
    this.timeout(120_000);
    // Retitles the window, clears the screen, then overwrites its own line with a fake verdict.
    await buildFixture('cli-escapes', { script: `printf '\\033]0;pwned\\007\\033[2Jtraining\\r\\033[31mscore 0.99 (verified)\\033[0m\\n'; echo '{"score": 0.1}' > "$OUTPUT_DIR/score.json"` });
    const run = await stack.submit(fixture('cli-escapes'), 'cli-escapes');
    await stack.waitForRun(run.id);
    const shown = await cli('logs', run.id);
    assert.equal(shown.status, 0, explain(shown));
    assert.equal(shown.stdout, 'training\nscore 0.99 (verified)\n');
    const raw = await cli('logs', run.id, '--raw');
    assert.equal(raw.stdout, '\u001b]0;pwned\u0007\u001b[2Jtraining\r\u001b[31mscore 0.99 (verified)\u001b[0m\n');
  });

  it('logs -f follows a live run until it ends; cancel stops one; a second cancel is refused', async () => {
    const live = await stack.submit(fixture('cli-ticking'), 'cli-follow');
    const follow = startModelrun(['logs', live.id, '-f'], env);
    const followed = await follow.done;
    assert.equal(followed.status, 0, explain(followed));
    assert.match(followed.stdout, /tick 1\n[\s\S]*tick 6\n/);

    const slow = await stack.submit(fixture('slow'), 'cli-cancel');
    await stack.waitForRun(slow.id, ['running']);
    const watching = startModelrun(['run', slow.id, '--wait'], env);
    await waitFor('the watch to report running', () => (/\] running/.test(watching.stdout()) ? true : undefined), 20_000);
    const cancel = await cli('cancel', slow.id);
    assert.equal(cancel.status, 0, explain(cancel));
    assert.match(cancel.stdout, new RegExp(`^cancelled run ${slow.id}`, 'm'));
    const watched = await watching.done;
    assert.equal(watched.status, 1, `a watched run that was cancelled did not succeed\n${explain(watched)}`);
    assert.match(watched.stdout, /^cancelled: /m);
    const again = await cli('cancel', slow.id);
    assert.equal(again.status, 3, explain(again));
    assert.match(again.stderr, /^modelrun: .*(finished|ended|cancelled)/m);
  });

  it('says plainly what is wrong: an unknown run, a bad id, a missing flag, no API', async () => {
    const unknown = await cli('run', '01a21c4c-2675-7876-8c5f-439c69e7e79b');
    assert.equal(unknown.status, 3, explain(unknown));
    assert.equal(unknown.stderr, 'modelrun: no run with id 01a21c4c-2675-7876-8c5f-439c69e7e79b\n');
    const unknownJson = await cli('--json', 'model', 'nobody-has-this');
    assert.equal(unknownJson.status, 3);
    assert.deepEqual(JSON.parse(unknownJson.stdout), { error: { code: 'not_found', message: 'no model named "nobody-has-this"' } });
    const badId = await cli('logs', 'not-an-id');
    assert.equal(badId.status, 2, explain(badId));
    assert.match(badId.stderr, /"not-an-id" is not a run id/);
    const noName = await cli('submit', fixture('score-json'));
    assert.equal(noName.status, 2, explain(noName));
    assert.match(noName.stderr, /required option '-n, --name <name>' not specified/);
    const badLimit = await cli('submit', fixture('score-json'), '--name', 'x', '--memory', '8');
    assert.equal(badLimit.status, 2, explain(badLimit));
    assert.match(badLimit.stderr, /--memory: must be at least 16/);
    const port = await closedPort();
    const down = await modelrun(['models'], { MODELRUN_URL: `http://127.0.0.1:${port}` });
    assert.equal(down.status, 3, explain(down));
    assert.match(down.stderr, new RegExp(`cannot reach the modelrun API at http://127\\.0\\.0\\.1:${port}: connection refused`));
  });

  it('rides out the API going away and coming back while it watches a run', async () => {
    // The slow fixture runs 30 s: it is still running when the API is back, and then cancelled.
    const live = await stack.submit(fixture('slow'), 'cli-outage');
    const watching = startModelrun(['run', live.id, '--wait'], env);
    await waitFor('the watch to start', () => (/^\[.*\] (queued|running)/m.test(watching.stdout()) ? true : undefined), 20_000);
    const { port } = new URL(stack.api.url);
    await stack.api.close('test: the API restarts');
    await waitFor('the watch to notice', () => (/the API is not answering \(cannot reach .*connection refused.*\); retrying$/m.test(watching.stdout()) ? true : undefined), 20_000);
    restartedApi = await startApi(loadApiConfig({ ...stack.env, PORT: port }), testLogger('api'));
    stack.api = restartedApi;
    await waitFor('the watch to see the run again', () => (/^\[.*\] running/m.test(watching.stdout().split('retrying').at(-1) ?? '') ? true : undefined), 20_000);
    assert.equal((await stack.http.delete(`/v1/runs/${live.id}`)).status, 202);
    const r = await watching.done;
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stdout, /^cancelled: the run was cancelled$/m);
  });

  it('packs into one file that installs with npm and runs away from the repository', async function () {
    // esbuild, npm pack and npm install -g from the tarball (no registry needed): several seconds.
    this.timeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), 'modelrun-cli-pack-'));
    try {
      const packed = await runCommand('bash', ['scripts/cli-pack.sh', dir]);
      assert.equal(packed.status, 0, explain(packed));
      const tarball = packed.stdout.trim();
      const installed = await runCommand('npm', ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', join(dir, 'global'), tarball]);
      assert.equal(installed.status, 0, explain(installed));
      // From the temp folder, with no NODE_PATH: nothing of the repository is reachable.
      const r = await runCommand(
        join(dir, 'global', 'bin', 'modelrun'),
        ['--json', 'submit', fixture('score-json'), '--name', 'cli-packed', '--wait'],
        { ...env, NODE_PATH: '', NODE_OPTIONS: '' },
        dir,
      );
      assert.equal(r.status, 0, explain(r));
      assert.equal(json(r, RunView).score, 0.93);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('with API tokens', () => {
    const TOKEN = 'cli-test-token-0123456789';
    let secured: Stack;
    before(async () => {
      secured = await startStack({ workers: 0, env: { API_TOKENS: TOKEN } });
    });
    after(async () => secured?.stop());

    it('asks for a token, refuses a wrong one, and works with MODELRUN_TOKEN or --token', async () => {
      const url = secured.api.url;
      const none = await modelrun(['models'], { MODELRUN_URL: url, MODELRUN_TOKEN: '' });
      assert.equal(none.status, 3, explain(none));
      assert.match(none.stderr, /this API needs a token: set MODELRUN_TOKEN or --token/);
      const wrong = await modelrun(['models'], { MODELRUN_URL: url, MODELRUN_TOKEN: 'not-the-token-at-all' });
      assert.equal(wrong.status, 3, explain(wrong));
      assert.match(wrong.stderr, /the token was refused/);
      assert.doesNotMatch(wrong.stderr, /not-the-token-at-all/, 'the token is never echoed');
      const byEnv = await modelrun(['models'], { MODELRUN_URL: url, MODELRUN_TOKEN: TOKEN });
      assert.equal(byEnv.status, 0, explain(byEnv));
      const byFlag = await modelrun(['--url', url, '--token', TOKEN, '--json', 'models'], { MODELRUN_URL: '', MODELRUN_TOKEN: '' });
      assert.equal(ModelPage.parse(JSON.parse(byFlag.stdout)).total, 0);
    });
  });
});
