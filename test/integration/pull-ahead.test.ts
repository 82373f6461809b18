import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunView } from '@modelrun/contracts';
import { buildImage, docker } from '../helpers/docker';
import { type Credentials, type TestRegistry, pushImage, slowProxy, startRegistry } from '../helpers/registry';
import { type Stack, startStack } from '../helpers/stack';
import { LONG_MODEL, buildLongModel, release } from '../helpers/two-hosts';
import { watchPulls } from '../helpers/pull-watch';
import { waitFor } from '../helpers/wait';
import { BASE_IMAGE, fixture } from '../fixtures/images';

const KB = 1024;

describe('pull-ahead: images of waiting runs pulled while the slots are busy', function () {
  // Every case holds the only slot with a run, pulls from a real registry, then lets it go.
  this.timeout(90_000);
  const alice: Credentials = { username: 'alice', password: `pw-${randomBytes(12).toString('hex')}` };
  const repo = `pa/r${randomBytes(4).toString('hex')}`;
  let registry: TestRegistry;
  let dir: string;
  let stack: Stack;
  let off: Stack | undefined;

  const image = (tag: string, host = registry.host): string => `${host}/${repo}:${tag}`;
  /** Pushes an image with a layer of `bytes` random bytes of its own, so pulling it downloads them; the engine keeps no copy. */
  const publish = async (tag: string, bytes: number): Promise<string> => {
    const source = `modelrun-test/pull-ahead-${tag}-${randomBytes(3).toString('hex')}:latest`;
    await buildImage(source, {
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY blob /blob\nCMD ["/bin/sh", "-c", "echo '{\\"score\\": 0.7}' > $OUTPUT_DIR/score.json"]\n`,
      blob: randomBytes(bytes),
    });
    const d = await docker();
    try {
      await pushImage(d, source, image(tag), { ...alice, serveraddress: registry.host });
    } finally {
      await d.getImage(source).remove({ force: true });
    }
    return image(tag);
  };
  const present = async (ref: string): Promise<boolean> =>
    (await docker())
      .getImage(ref)
      .inspect()
      .then(
        () => true,
        () => false,
      );
  const runOf = async (s: Stack, id: string): Promise<RunView> => (await s.http.get(`/v1/runs/${id}`)).body as RunView;
  /** A run that holds the worker's only slot until released. */
  const holdSlot = async (s: Stack): Promise<RunView> => {
    const hold = await s.submit(fixture(LONG_MODEL), 'holder');
    await s.waitForRun(hold.id, ['running'], 30_000);
    return hold;
  };
  const letGo = async (s: Stack, hold: RunView): Promise<void> => {
    await release(await docker(), s.prefix, hold.id);
    assert.equal((await s.waitForRun(hold.id, undefined, 30_000)).status, 'succeeded');
  };
  const metric = async (s: Stack, line: string): Promise<number> => {
    const text = await (await fetch(`${s.workers[0]!.metricsUrl}/metrics`)).text();
    return Number(
      text
        .split('\n')
        .find((l) => l.startsWith(line))
        ?.split(' ')[1] ?? 0,
    );
  };

  before(async () => {
    await buildLongModel();
    registry = await startRegistry([alice]);
    dir = mkdtempSync(join(tmpdir(), 'modelrun-pull-ahead-'));
    writeFileSync(join(dir, 'auth.json'), JSON.stringify({ auths: { [registry.host]: alice } }));
    // One slot; at most 2 images ahead and 1 MiB of them, so the caps show with small images.
    stack = await startStack({ env: { REGISTRY_AUTH_FILE: join(dir, 'auth.json'), WORKER_CONCURRENCY: '1', PULL_AHEAD_IMAGES: '2', PULL_AHEAD_MB: '1' } });
  });
  after(async () => {
    await stack?.stop();
    await off?.stop();
    await registry?.dispose();
    const d = await docker();
    const tags = (await d.listImages({ filters: { reference: [`127.0.0.1:*/${repo}`] } })).flatMap((i) => i.RepoTags ?? []).filter((t) => t.includes(`/${repo}:`));
    for (const tag of tags)
      await d
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("pulls a waiting run's image before the run starts, and the run does not pull it again", async () => {
    const ref = await publish('ahead', 200 * KB);
    const pulls = await watchPulls(await docker());
    const hold = await holdSlot(stack);
    const waiting = await stack.submit(ref, 'waiting');
    await waitFor(`${ref} on the engine`, () => present(ref).then((p) => p || undefined), 20_000, 100);
    assert.equal((await runOf(stack, waiting.id)).status, 'queued', 'pulled while its run waits');
    assert.equal((await runOf(stack, hold.id)).status, 'running');
    await letGo(stack, hold);
    const done = await stack.waitForRun(waiting.id, undefined, 30_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    pulls.stop();
    assert.equal(pulls.count(ref), 1, 'one pull of the image in all');
    const listed = await stack.workers[0]!.pulledImages!.list();
    assert.ok(
      listed.some((e) => e.image === ref && e.ahead && e.bytes >= 200 * KB && e.lastUsedAt),
      JSON.stringify(listed),
    );
  });

  it('a run whose image is being pulled ahead waits on that pull, showing its progress, and it is the only pull', async () => {
    // 32 KiB/s: the 512 KiB layer takes 16 s, so the pull ahead is still under way when the run
    // gets the slot (the holder's exit, record and the next job's intake take seconds on a
    // loaded machine); a pull that finished first would leave the run nothing to wait on.
    const slow = await slowProxy(registry.host, 32 * KB);
    try {
      writeFileSync(join(dir, 'auth.json'), JSON.stringify({ auths: { [registry.host]: alice, [slow.host]: alice } }));
      await publish('joined', 512 * KB);
      const ref = image('joined', slow.host);
      const pulls = await watchPulls(await docker());
      const hold = await holdSlot(stack);
      const run = await stack.submit(ref, 'joined');
      const images = stack.workers[0]!.runner.images!;
      await waitFor('the pull ahead to start', () => images.inFlight().find((p) => p.image === ref && p.ahead), 20_000, 50);
      await letGo(stack, hold);
      const pulling = await waitFor(
        'the run to show its pull',
        async () => {
          const r = await runOf(stack, run.id);
          return r.phase === 'pulling' && r.pull ? r : undefined;
        },
        20_000,
        50,
      );
      assert.ok(pulling.pull!.bytesDone >= 0, JSON.stringify(pulling));
      assert.equal((await stack.waitForRun(run.id, undefined, 30_000)).status, 'succeeded');
      pulls.stop();
      assert.equal(pulls.count(ref), 1, 'the run joined the pull ahead instead of pulling again');
    } finally {
      await slow.close();
    }
  });

  it('keeps to PULL_AHEAD_MB and PULL_AHEAD_IMAGES: a too large image and one beyond the window are left to their runs', async () => {
    const [big, small, beyond] = [await publish('big', 3 * 1024 * KB), await publish('small', 100 * KB), await publish('beyond', 100 * KB)];
    const hold = await holdSlot(stack);
    const tooLarge = await metric(stack, 'modelrun_worker_pull_ahead_total{outcome="too_large"}');
    for (const [ref, name] of [
      [big, 'big'],
      [small, 'small'],
      [beyond, 'beyond'],
    ] as const)
      await stack.submit(ref, name);
    await waitFor('the small image pulled ahead', () => present(small).then((p) => p || undefined), 20_000, 100);
    await waitFor('the big image given up', async () => ((await metric(stack, 'modelrun_worker_pull_ahead_total{outcome="too_large"}')) > tooLarge ? true : undefined), 20_000, 100);
    assert.equal(await present(big), false, 'over PULL_AHEAD_MB (1 MiB): not pulled ahead');
    assert.equal(await present(beyond), false, 'the third image is beyond PULL_AHEAD_IMAGES=2');
    await letGo(stack, hold);
  });

  it('a pull ahead that fails fails nothing: the run pulls the image itself once it is there', async () => {
    const ref = image('later');
    const hold = await holdSlot(stack);
    const failed = await metric(stack, 'modelrun_worker_pull_ahead_total{outcome="failed"}');
    const run = await stack.submit(ref, 'later');
    await waitFor('the pull ahead to fail', async () => ((await metric(stack, 'modelrun_worker_pull_ahead_total{outcome="failed"}')) > failed ? true : undefined), 20_000, 100);
    assert.equal((await runOf(stack, run.id)).status, 'queued');
    await publish('later', 50 * KB);
    await letGo(stack, hold);
    const done = await stack.waitForRun(run.id, undefined, 30_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.attempts, 1);
  });

  it('PULL_AHEAD=off pulls nothing ahead', async () => {
    off = await startStack({ env: { REGISTRY_AUTH_FILE: join(dir, 'auth.json'), WORKER_CONCURRENCY: '1', PULL_AHEAD: 'off' } });
    const ref = await publish('off', 50 * KB);
    const hold = await holdSlot(off);
    const run = await off.submit(ref, 'off');
    // The pull-ahead looks every second: five seconds of the run waiting give it five chances.
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      assert.equal(await present(ref), false, 'pulled ahead with PULL_AHEAD=off');
      await sleep(250);
    }
    assert.equal((await runOf(off, run.id)).status, 'queued');
    await letGo(off, hold);
    assert.equal((await off.waitForRun(run.id, undefined, 30_000)).status, 'succeeded');
  });
});
