import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS, type RunView, newRunId } from '@modelrun/contracts';
import { type RunSpec, createDockerRunner } from '@modelrun/runner';
import { containersOf, docker, keepersOf, removeContainersOf, volumesOf } from '../helpers/docker';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { buildFixture, buildFixtures, fixture } from '../fixtures/images';
import { HOSTILE, HOST_SECRET, HOST_SECRET_PATH, probe } from '../fixtures/hostile';
import { BAD_OUTPUTS } from '../fixtures/bad-outputs';
import { cgroupFiles, cgroupLimits } from '../fixtures/cgroup';
import { type BridgeListener, bridgeListener } from '../helpers/bridge-listener';

const LIMITS = { RUN_PIDS_LIMIT: '64', RUN_TMP_MB: '32', RUN_OUTPUT_MAX_MB: '1', RUN_MEMORY_MB: '128', RUN_CPUS: '0.5', RUN_TIMEOUT_SECONDS: '20' };

describe('the container sandbox, attacked from inside', function () {
  // Building ~25 fixture images and running each hostile model, plus a normal run after each.
  this.timeout(120_000);
  let stack: Stack;
  let listener: BridgeListener;

  before(async () => {
    writeFileSync(HOST_SECRET_PATH, `${HOST_SECRET}\n`);
    listener = await bridgeListener();
    await Promise.all(Object.entries({ ...HOSTILE, probe: probe(listener) }).map(([name, f]) => buildFixture(name, f)));
    stack = await startStack({ env: LIMITS });
  });
  after(async () => {
    rmSync(HOST_SECRET_PATH, { force: true });
    await listener?.close();
    await stack?.stop();
  });

  // After every attack the worker must be unharmed: the next model runs normally, and the
  // hostile run left no container, output keeper or volume behind.
  afterEach(async function () {
    if (this.currentTest?.state !== 'passed') return;
    const left = async (): Promise<number> => (await containersOf(stack.prefix)).length + (await keepersOf(stack.prefix)).length + (await volumesOf(stack.prefix)).length;
    await waitFor('nothing left behind', async () => ((await left()) === 0 ? true : undefined), 10_000);
    const next = await stack.submit(fixture('score-json'), 'after-attack');
    const done = await stack.waitForRun(next.id);
    assert.equal(done.status, 'succeeded', `the next run after an attack failed: ${JSON.stringify(done)}`);
  });

  const run = async (image: string, name: string, limits?: Record<string, number>): Promise<RunView> => {
    const submitted = await stack.submit(fixture(image), name, limits);
    return stack.waitForRun(submitted.id, undefined, 60_000);
  };

  /** The cgroup limits the probe printed in its output, on either cgroup layout. */
  const limitsSeen = async (runId: string): Promise<ReturnType<typeof cgroupLimits>> => cgroupLimits(cgroupFiles((await stack.http.get(`/v1/runs/${runId}/logs`)).text));

  it('gives the model no network, a read-only root, a capped /tmp, no capabilities and every limit', async () => {
    const done = await run('probe', 'probe');
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    const m = done.metrics!;
    assert.equal(m.non_loopback_interfaces, 0, 'only the loopback interface');
    assert.equal(m.reached_bridge, 0, 'cannot connect to the listener on the Docker bridge');
    assert.ok(!listener.received.includes(`probe ${done.id}`), 'the listener heard nothing from the run');
    assert.equal(m.root_writable, 0, 'root file system is read-only');
    assert.equal(m.tmp_writable, 1, '/tmp is writable');
    assert.equal(m.tmp_size_kb, 32 * 1024, '/tmp is capped at RUN_TMP_MB');
    assert.equal(m.cap_eff, 0, 'no effective capabilities');
    assert.equal(m.mknod, 0, 'cannot create device nodes');
    assert.equal(m.no_new_privs, 1, 'no-new-privileges');
    assert.equal(m.seccomp_mode, 2, 'the default seccomp filter is on');
    assert.equal(m.docker_socket, 0, 'no Docker socket');
    assert.equal(m.init_pid1, 1, 'an init process is PID 1');
    assert.equal(m.sees_host_file, 0, 'host files are not visible');
    const cg = await limitsSeen(done.id);
    assert.equal(cg.pidsMax, 64, `process count capped at RUN_PIDS_LIMIT (cgroup ${cg.layout})`);
    assert.equal(cg.memoryBytes, 128 * 1024 * 1024, 'memory capped at RUN_MEMORY_MB');
    assert.equal(cg.memoryAndSwapBytes, 128 * 1024 * 1024, 'no swap beyond the memory limit');
    assert.equal(cg.cpus, 0.5, 'CPU capped at RUN_CPUS');
    assert.deepEqual(done.limits, { timeoutSeconds: 20, memoryMb: 128, cpus: 0.5, gpus: 0 }, 'the applied limits are shown on the run');
  });

  it('reaches the bridge listener with the same probe and networking on (the check can fail)', async () => {
    const d = await docker();
    const c = await d.createContainer({
      Image: fixture('probe'),
      Env: ['OUTPUT_DIR=/tmp', 'RUN_ID=control'],
      Labels: { [LABELS.managed]: 'true', [LABELS.deployment]: stack.prefix },
      // The sandbox's writable /tmp (the image has none), but the bridge network instead of none.
      HostConfig: { NetworkMode: 'bridge', Tmpfs: { '/tmp': '' } },
    });
    try {
      await c.start();
      await c.wait();
      const output = (await c.logs({ stdout: true, stderr: true })).toString('latin1');
      assert.match(output, /"reached_bridge": 1/, output);
      // Waited for: the listener reads the line on its own event-loop turn, which need not come before the container's end is seen.
      await waitFor('the listener to hear the probe', () => (listener.received.includes('probe control') ? true : undefined), 5_000).catch(() => undefined);
      assert.ok(listener.received.includes('probe control'), `the listener heard: ${JSON.stringify(listener.received)}`);
    } finally {
      await c.remove({ force: true, v: true });
    }
  });

  it('applies the limits a request asks for, under the ceilings', async () => {
    const done = await run('probe', 'probe-limits', { memoryMb: 64, cpus: 0.25, timeoutSeconds: 15 });
    const cg = await limitsSeen(done.id);
    assert.equal(cg.memoryBytes, 64 * 1024 * 1024);
    assert.equal(cg.cpus, 0.25);
    assert.deepEqual(done.limits, { timeoutSeconds: 15, memoryMb: 64, cpus: 0.25, gpus: 0 });
  });

  it('creates the container with nothing that reaches the host (seen from outside)', async () => {
    const submitted = await stack.submit(fixture('slow'), 'inspected');
    const d = await docker();
    const info = await waitFor(
      "the run's container",
      async () => {
        const c = (await containersOf(stack.prefix)).find((x) => x.Labels[LABELS.runId] === submitted.id);
        return c ? d.getContainer(c.Id).inspect() : undefined;
      },
      30_000,
    ); // the queue and a container create on a loaded engine
    const h = info.HostConfig;
    assert.equal(h.NetworkMode, 'none');
    assert.equal(h.Privileged, false);
    assert.equal(h.ReadonlyRootfs, true);
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.equal(h.CapAdd ?? null, null);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges:true']);
    assert.ok(!h.Binds || h.Binds.length === 0, 'no bind mounts');
    assert.ok(!h.Devices || h.Devices.length === 0, 'no devices');
    assert.equal(h.PidMode, '');
    assert.equal(h.IpcMode, 'private');
    assert.equal(h.UsernsMode, '');
    assert.equal(h.Init, true);
    assert.deepEqual(h.LogConfig?.Type, 'json-file');
    assert.deepEqual(
      info.Mounts.map((m) => [m.Type, m.Destination]),
      [['volume', '/output']],
    );
    // The keeper that holds its output volume: that volume alone, read-only, and nothing else.
    const keeper = (await keepersOf(stack.prefix)).find((x) => x.Labels[LABELS.runId] === submitted.id);
    assert.ok(keeper, 'a keeper holds the output volume');
    const k = await d.getContainer(keeper.Id).inspect();
    assert.deepEqual(
      k.Mounts.map((m) => [m.Type, m.Name, m.RW]),
      [['volume', info.Mounts[0]?.Name, false]],
    );
    assert.equal(k.HostConfig.NetworkMode, 'none');
    assert.deepEqual(k.HostConfig.CapDrop, ['ALL']);
    assert.equal(k.HostConfig.ReadonlyRootfs, true);
    assert.equal(k.HostConfig.PidsLimit, 1);
    assert.equal(k.Config.User, '65534:65534');
    await stack.http.delete(`/v1/runs/${submitted.id}`).expect(202);
    await stack.waitForRun(submitted.id);
  });

  it('caps a fork bomb at the process limit', async () => {
    const done = await run('fork-bomb', 'fork-bomb');
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.ok(done.score! > 1 && done.score! < 64, `forked ${done.score} processes; the limit is 64`);
  });

  it('fails a memory hog with reason oom', async () => {
    const done = await run('memory-hog', 'memory-hog', { memoryMb: 64 });
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'oom', JSON.stringify(done));
    assert.match(done.error!, /out of memory.*64 MiB/);
  });

  it('fails with reason oom when a child is killed and the container still exits 0', async () => {
    const done = await run('memory-hog-child', 'memory-hog-child', { memoryMb: 64 });
    assert.equal(done.reason, 'oom', JSON.stringify(done));
    assert.equal(done.exitCode, 0);
    assert.match(done.error!, /exited 0/);
  });

  it("holds a model that floods its output to RUN_OUTPUT_MAX_MB, in memory: the host's disk never sees the flood", async () => {
    const d = await docker();
    const root = String((await d.info()).DockerRootDir);
    const freeOf = (path: string): number => {
      const s = statfsSync(path);
      return s.bavail * s.bsize;
    };
    const freeBefore = freeOf(root);
    const submitted = await stack.submit(fixture('output-flood'), 'output-flood');
    // Where the model's /output is on the host: what its writes fill.
    const source = await waitFor(
      'the flooding model to run',
      async () => {
        const c = (await containersOf(stack.prefix)).find((x) => x.Labels[LABELS.runId] === submitted.id && x.State === 'running');
        return c ? (await d.getContainer(c.Id).inspect()).Mounts.find((m) => m.Destination === '/output')?.Source : undefined;
      },
      30_000,
    ); // the queue and a container start on a loaded engine
    // The model goes on writing for 4 s after its 300 MB: sampled for 2.5 s of that.
    const samples: { type: number; used: number; free: number }[] = [];
    for (const until = Date.now() + 2_500; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
      const s = statfsSync(source);
      samples.push({ type: s.type, used: (s.blocks - s.bfree) * s.bsize, free: freeOf(root) });
    }
    const done = await stack.waitForRun(submitted.id, undefined, 60_000);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'bad_output', JSON.stringify(done));
    assert.equal(done.exitCode, 0, 'it exited 0, as if nothing had happened');
    assert.match(done.error!, /the output folder holds more than its limit of 1 MiB \(RUN_OUTPUT_MAX_MB\); writing past it fails with "no space left on device"/);
    assert.match((await stack.http.get(`/v1/runs/${done.id}/logs`)).text, /No space left on device/);
    const TMPFS_MAGIC = 0x01021994;
    assert.ok(samples.length > 10 && samples.every((s) => s.type === TMPFS_MAGIC), `/output is a tmpfs while the model writes: ${JSON.stringify(samples.slice(0, 3))}`);
    const used = Math.max(...samples.map((s) => s.used));
    assert.ok(used <= 1024 * 1024 + 4096, `/output held ${used} bytes; its cap is 1 MiB (and one page)`);
    // The flood is 300 MB: the engine's disk must not have lost anything near it (others' tests share the disk).
    const lost = freeBefore - Math.min(...samples.map((s) => s.free));
    assert.ok(lost < 100 * 1024 * 1024, `the engine's disk lost ${lost} bytes while the model wrote 300 MB`);
    console.log(`      output-flood: wrote 300 MB + 20 x 10 MB; /output held at most ${used} bytes (cap ${1024 * 1024}); the engine's disk changed by ${lost} bytes`);
  });

  it('stops a model that ignores SIGTERM at its deadline, with reason timeout', async () => {
    const done = await run('ignores-sigterm', 'stubborn', { timeoutSeconds: 2 });
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'timeout', JSON.stringify(done));
    const ran = Date.parse(done.finishedAt!) - Date.parse(done.startedAt!);
    // 2 s limit + 1 s stop grace (RUN_STOP_GRACE_SECONDS in the test stack) + slack for a busy machine.
    assert.ok(ran >= 2_000 && ran < 6_000, `ran ${ran} ms`);
  });

  for (const [image, message] of BAD_OUTPUTS) {
    it(`fails ${image} with reason bad_output, saying what was wrong`, async () => {
      const done = await run(image, image);
      assert.equal(done.status, 'failed');
      assert.equal(done.reason, 'bad_output', JSON.stringify(done));
      assert.match(done.error!, message);
      assert.equal(done.score, undefined);
    });
  }

  it('never lets a symlink carry a host file to the volume or the API', async () => {
    const done = await run('score-symlink-host-file', 'symlink-host');
    assert.equal(done.reason, 'bad_output');
    assert.match(done.error!, /symbolic link/);
    const logs = await stack.http.get(`/v1/runs/${done.id}/logs`);
    const everything = [JSON.stringify(done), logs.text, ...filesUnder(stack.dataDir).map((f) => readFileSync(f, 'utf8'))].join('\n');
    assert.ok(!everything.includes(HOST_SECRET), 'the host secret leaked');
  });

  it('quotes a symlink target made of terminal escapes: run.error cannot retitle or clear a terminal, nor fake a score', async () => {
    // The target: set the window title, clear the screen, home the cursor, print a fake verdict.
    await buildFixture('score-symlink-escapes', { script: `ln -s "$(printf '\\033]0;modelrun\\007\\033[2J\\033[Hscore 0.99 (verified)\\r')" "$OUTPUT_DIR/score.json"` });
    const done = await run('score-symlink-escapes', 'symlink-escapes');
    assert.equal(done.reason, 'bad_output', JSON.stringify(done));
    assert.doesNotMatch(done.error!, /[\u0000-\u001f\u007f-\u009f]/, 'no control character reaches run.error');
    assert.match(done.error!, /score\.json is a symbolic link \(to "\\x1b\]0;modelrun\\x07\\x1b\[2J\\x1b\[Hscore 0\.99 \(verified\)\\x0d"\)/);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("a run's output keeper, lost and found on adoption", function () {
  // Two runs of a few seconds each, on a loaded engine.
  this.timeout(90_000);
  const deployment = `modelrun-keeper-${process.pid}`;
  const runner = createDockerRunner({ deployment, sandbox: { pidsLimit: 64, tmpMb: 16, logMaxBytes: 65536, outputMaxBytes: 1 << 20, stopGraceSeconds: 1 } });
  const limits = { timeoutSeconds: 30, memoryMb: 128, cpus: 1, gpus: 0 };
  const spec = (image: string): RunSpec => ({ runId: newRunId(), name: 'kept', image: fixture(image), limits });
  /** What an engine restart does to a keeper: it is stopped (here, removed), and its volume's tmpfs unmounted with it if nothing else holds it. */
  const loseKeeper = async (runId: string): Promise<void> => {
    const [keeper] = (await keepersOf(deployment)).filter((k) => k.Labels[LABELS.runId] === runId);
    assert.ok(keeper, 'the run has a keeper');
    await (await docker()).getContainer(keeper.Id).remove({ force: true });
  };

  // Long enough to lose its keeper and be adopted while it runs, on a loaded engine.
  before(() => Promise.all([buildFixtures(), buildFixture('ten-seconds', { script: `sleep 10; echo '{"score": 0.1}' > "$OUTPUT_DIR/score.json"` })]));
  after(() => removeContainersOf(deployment));

  it('joins a model that still runs with a new keeper, and its output is collected', async () => {
    const run = spec('ten-seconds');
    const started = await runner.start(await runner.prepare(run, undefined, { firstDelivery: true }));
    await loseKeeper(run.runId);
    const adopted = await runner.prepare(run);
    assert.equal(adopted.adopted, true);
    assert.equal(adopted.id, started.id, 'the running container is adopted');
    assert.equal((await keepersOf(deployment)).filter((k) => k.State === 'running').length, 1, 'a new keeper holds its output');
    await runner.wait(adopted, limits);
    const output = await runner.collect(adopted);
    assert.equal(output.score?.bytes.toString().trim(), '{"score": 0.1}');
    await runner.remove(adopted);
  });

  it('runs a model again whose output went with its keeper after it exited', async () => {
    const run = spec('score-json');
    const first = await runner.start(await runner.prepare(run, undefined, { firstDelivery: true }));
    await runner.wait(first, limits);
    await loseKeeper(run.runId);
    const again = await runner.prepare(run);
    assert.equal(again.adopted, false, 'a new container, not the one whose output is gone');
    assert.notEqual(again.id, first.id);
    const ran = await runner.start(again);
    await runner.wait(ran, limits);
    assert.match((await runner.collect(ran)).score?.bytes.toString() ?? '', /"score": 0.93/);
    await runner.remove(ran);
    assert.deepEqual([(await containersOf(deployment)).length, (await keepersOf(deployment)).length, (await volumesOf(deployment)).length], [0, 0, 0], 'nothing left behind');
  });

  it("says the output was dropped, not empty, when it is read after its keeper went: the model's writes left with the tmpfs", async () => {
    const run = spec('ten-seconds');
    const started = await runner.start(await runner.prepare(run, undefined, { firstDelivery: true }));
    // Lost while the model runs and not joined again: the model's exit unmounts the volume.
    await loseKeeper(run.runId);
    await runner.wait(started, limits);
    const output = await runner.collect(started);
    assert.deepEqual([output.entries, output.score, output.dropped], [0, undefined, true]);
    await runner.remove(started);
  });

  it('reads a model that wrote nothing as empty, not dropped, while its keeper holds the output', async () => {
    await buildFixture('writes-nothing', { script: 'true' });
    const run = spec('writes-nothing');
    const started = await runner.start(await runner.prepare(run, undefined, { firstDelivery: true }));
    await runner.wait(started, limits);
    const output = await runner.collect(started);
    assert.deepEqual([output.entries, output.dropped], [0, undefined]);
    await runner.remove(started);
  });
});
