import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { RunView } from '@modelrun/contracts';
import { createLogger } from '@modelrun/logger';
import { buildImage, docker } from '../helpers/docker';
import { type Credentials, type TestRegistry, pushImage, slowProxy, startRegistry } from '../helpers/registry';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { BASE_IMAGE, fixture } from '../fixtures/images';

describe('images from a private registry', function () {
  // Each case pulls from a real registry; the outage case waits out two backoffs.
  this.timeout(60_000);
  const alice: Credentials = { username: 'alice', password: `pw-${randomBytes(12).toString('hex')}` };
  const wrongPassword = `wrong-${randomBytes(9).toString('hex')}`;
  const secrets = [alice.password, wrongPassword, Buffer.from(`${alice.username}:${alice.password}`).toString('base64')];
  const logLines = new PassThrough();
  let logged = '';
  logLines.on('data', (d: Buffer) => (logged += d.toString()));
  const answers: string[] = [];
  let registry: TestRegistry;
  let stack: Stack;
  let dir: string;
  let authFile: string;
  const repo = `team/r${randomBytes(4).toString('hex')}`;
  /** The pull-progress case's local image, removed in `after` too should the case stop half-way. */
  const progressSource = `modelrun-test/pull-progress-${randomBytes(3).toString('hex')}:latest`;

  const writeAuth = (auths: Record<string, unknown>): void => writeFileSync(authFile, JSON.stringify({ auths }));
  const basic = (c: Credentials): string => Buffer.from(`${c.username}:${c.password}`).toString('base64');
  /** Pushes the score-json fixture as `tag` (the engine keeps no copy: a run must pull it). */
  const publish = (tag: string, source = fixture('score-json')) => docker().then((d) => pushImage(d, source, `${registry.host}/${repo}:${tag}`, { ...alice, serveraddress: registry.host }));
  const run = async (image: string, name: string, timeoutMs?: number): Promise<RunView> => {
    const submitted = await stack.submit(image, name);
    const done = await stack.waitForRun(submitted.id, undefined, timeoutMs);
    answers.push(JSON.stringify(done));
    return done;
  };

  before(async () => {
    registry = await startRegistry([alice]);
    dir = mkdtempSync(join(tmpdir(), 'modelrun-auth-'));
    authFile = join(dir, 'config.json');
    writeAuth({ [registry.host]: { auth: basic(alice) } });
    const log = createLogger({ service: 'worker', level: 'debug', format: 'json', stream: logLines });
    stack = await startStack({
      // Retries close together, but far enough apart to restart the registry between them.
      env: { REGISTRY_AUTH_FILE: authFile, RUN_ATTEMPTS: '5', RUN_BACKOFF_MS: '1000' },
      workerLog: log,
      apiLog: log,
    });
  });
  after(async () => {
    await stack?.stop();
    await registry?.dispose();
    const d = await docker();
    const mine = await d.listImages({ filters: { reference: [`127.0.0.1:*/${repo}`] } });
    // By tag, never by id: a pulled image shares its id with the fixture it was pushed from.
    const tags = mine.flatMap((img) => img.RepoTags ?? []).filter((t) => t.includes(`/${repo}:`));
    for (const tag of [...tags, progressSource])
      await d
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pulls with the credentials REGISTRY_AUTH_FILE has for the registry, and runs the image', async () => {
    await publish('ok');
    const done = await run(`${registry.host}/${repo}:ok`, 'private-ok');
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.93);
  });

  it('fails with registry_auth, not retried, when the registry refuses the credentials', async () => {
    await publish('refused');
    writeAuth({ [registry.host]: { username: alice.username, password: wrongPassword } });
    const done = await run(`${registry.host}/${repo}:refused`, 'private-refused');
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'registry_auth', JSON.stringify(done));
    assert.match(done.error!, new RegExp(`the registry ${registry.host} refused the credentials REGISTRY_AUTH_FILE has for it`));
    assert.equal(done.attempts, 1, 'credentials that were refused are not retried');
  });

  it('fails with registry_auth when REGISTRY_AUTH_FILE has no credentials for the registry', async () => {
    await publish('missing');
    writeAuth({ 'elsewhere.example:5000': { auth: basic(alice) } });
    const done = await run(`${registry.host}/${repo}:missing`, 'private-missing');
    assert.equal(done.reason, 'registry_auth', JSON.stringify(done));
    assert.match(done.error!, /requires credentials and REGISTRY_AUTH_FILE has none for it/);
  });

  it('reads a changed REGISTRY_AUTH_FILE at the next pull, without a restart', async () => {
    writeAuth({ [`http://${registry.host}/v2/`]: { username: alice.username, password: alice.password } });
    const done = await run(`${registry.host}/${repo}:refused`, 'private-fixed');
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
  });

  it('fails with image_not_found, not retried, for a tag the registry does not have', async () => {
    const done = await run(`${registry.host}/${repo}:no-such-tag`, 'private-no-tag');
    assert.equal(done.reason, 'image_not_found', JSON.stringify(done));
    assert.match(done.error!, /does not have it \(manifest for .*no-such-tag not found/);
    assert.equal(done.attempts, 1);
  });

  it('retries with backoff while the registry is unreachable, and runs once it is back', async () => {
    await publish('outage');
    await registry.stop();
    const submitted = await stack.submit(`${registry.host}/${repo}:outage`, 'private-outage');
    // The attempt's error is kept a moment before its job leaves the worker for the retry's
    // backoff: until then the run still shows running. So wait for both, as docker-outage does.
    const firstFailure = await waitFor(
      'the first attempt to fail and the run to wait for its retry',
      async () => {
        const res = await stack.http.get(`/v1/runs/${submitted.id}`);
        const view = res.body as RunView;
        return view.attemptErrors?.length && view.status === 'queued' ? view : undefined;
      },
      20_000,
    );
    assert.match(firstFailure.attemptErrors![0]!.message, /connection refused/);
    await registry.start();
    // Backoff doubles from 1 s with jitter: the retries after a restart come within ~7 s.
    const done = await stack.waitForRun(submitted.id, undefined, 30_000);
    answers.push(JSON.stringify(done));
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.ok(done.attempts! >= 2, `attempts ${done.attempts}`);
    assert.ok(
      done.attemptErrors!.every((e) => /connection refused/.test(e.message)),
      JSON.stringify(done.attemptErrors),
    );
  });

  it('shows the pull on the run while it pulls: phase pulling, bytes done and total', async () => {
    // A layer of its own (random, so it neither compresses nor exists here), pulled through a
    // proxy that sends 512 KiB/s: 1.5 MiB take about three seconds to watch.
    const blob = randomBytes(1536 * 1024);
    const source = progressSource;
    const d = await docker();
    await buildImage(source, {
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY blob /blob\nCMD ["/bin/sh", "-c", "echo '{\\"score\\": 0.5}' > $OUTPUT_DIR/score.json"]\n`,
      blob,
    });
    await publish('big', source);
    await d.getImage(source).remove({ force: true });
    const proxy = await slowProxy(registry.host, 512 * 1024);
    try {
      writeAuth({ [registry.host]: { auth: basic(alice) }, [proxy.host]: { auth: basic(alice) } });
      const submitted = await stack.submit(`${proxy.host}/${repo}:big`, 'private-progress');
      const seen: RunView[] = [];
      const done = await waitFor(
        'the run to end',
        async () => {
          const res = await stack.http.get(`/v1/runs/${submitted.id}`);
          const view = res.body as RunView;
          answers.push(res.text);
          if (view.pull) seen.push(view);
          return ['succeeded', 'failed'].includes(view.status) ? view : undefined;
        },
        40_000,
        100,
      );
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.ok(seen.length >= 2, `saw pull progress ${seen.length} times`);
      assert.ok(seen.every((v) => v.status === 'running' && v.phase === 'pulling'));
      const done1 = seen.map((v) => v.pull!.bytesDone);
      assert.ok(new Set(done1).size >= 2, `bytes done moved: ${done1.join(', ')}`);
      const last = seen.at(-1)!.pull!;
      assert.ok(last.bytesTotal !== undefined && last.bytesTotal >= blob.length, `total ${last.bytesTotal} covers the ${blob.length}-byte layer`);
      assert.ok(
        done1.every((b, i) => i === 0 || b >= done1[i - 1]!),
        'bytes done never go back',
      );
      assert.equal(done.pull, undefined, 'no pull progress on a finished run');
    } finally {
      await proxy.close();
    }
  });

  it('never shows the credentials in logs, records, metrics or API answers', async () => {
    assert.ok(logged.includes('registriesWithCredentials'), 'the worker logged (so the search below means something)');
    assert.ok(answers.length >= 6);
    const records = readdirSync(join(stack.dataDir, 'runs'), { recursive: true })
      .map((f) => join(stack.dataDir, 'runs', String(f)))
      .filter((f) => statSync(f).isFile())
      .map((f) => readFileSync(f, 'utf8'));
    assert.ok(records.length >= 6, `${records.length} records`);
    const metrics = await Promise.all(stack.workers.map((w) => fetch(`${w.metricsUrl}/metrics`).then((r) => r.text())));
    const api = await stack.http.get('/metrics');
    const models = await stack.http.get('/v1/models');
    const everything = { logs: logged, records: records.join('\n'), metrics: metrics.join('\n') + api.text, answers: answers.join('\n') + models.text };
    for (const [where, text] of Object.entries(everything)) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a credential appears in the ${where}`);
    }
  });
});
