import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { LABELS, type RunView } from '@modelrun/contracts';
import { loadWorkerConfig } from '@modelrun/config';
import { startWorker } from '@modelrun/worker';
import { isKeeper } from '../helpers/docker';
import { TestEngine, type TestEngineOptions } from '../helpers/docker-engine';
import { GVISOR_ENGINE, KERNEL_PROBE } from '../helpers/gvisor';
import { type Stack, startStack } from '../helpers/stack';
import { testLogger } from '../helpers/logger';
import { waitFor } from '../helpers/wait';
import { buildFixtures, buildFixture, fixture, BASE_IMAGE } from '../fixtures/images';
import { HOSTILE, HOST_SECRET, HOST_SECRET_PATH, probe } from '../fixtures/hostile';
import { BAD_OUTPUTS } from '../fixtures/bad-outputs';
import { cgroupFiles, cgroupLimits } from '../fixtures/cgroup';

/**
 * The sandbox suite's attacks on engines that put more between a model and the host: gVisor
 * (`runsc`, a kernel in user space; chosen per worker by RUN_RUNTIME) and user-namespace
 * remapping (root in the container is an unprivileged user on the host). Every probe, limit and
 * bad output of sandbox.test.ts holds on each; what an engine shows differently is asserted.
 * Each engine is a TestEngine of its own, so the main engine's configuration is never touched.
 */
/** A token of 256 random bits, as a deployment's would be. */
const TOKEN = randomBytes(32).toString('hex');

const LIMITS = { RUN_PIDS_LIMIT: '64', RUN_TMP_MB: '32', RUN_OUTPUT_MAX_MB: '1', RUN_MEMORY_MB: '128', RUN_CPUS: '0.5', RUN_TIMEOUT_SECONDS: '20' };

interface Isolation {
  name: string;
  engine: Omit<TestEngineOptions, 'name'>;
  workerEnv: Record<string, string>;
  /** What the probe sees of the kernel's own state, which the engine changes (-1: not reported). */
  expect: { seccompMode: number; noNewPrivs: number; mknod: 0 | 1; cgroupsVisible: boolean; gvisorKernel: 0 | 1 };
  /** Bad outputs that fail with other words on this engine, and why. */
  badOutputsDiffer?: Record<string, RegExp>;
}

const ISOLATIONS: Isolation[] = [
  {
    name: 'gVisor (RUN_RUNTIME=runsc)',
    engine: GVISOR_ENGINE,
    // gVisor's ptrace platform (no KVM here) makes every system call several host ones: the
    // memory hog and the 10,050-file model take minutes at 0.5 CPU on a loaded machine, not seconds.
    workerEnv: { RUN_RUNTIME: 'runsc', RUN_TIMEOUT_SECONDS: '150' },
    // gVisor's kernel reports no NoNewPrivs line and no seccomp filter of its own: the filter is on
    // gVisor itself, outside what the model can see.
    // mknod works in gVisor's own tmpfs: the node is gVisor's, served by its kernel, never a host device.
    expect: { seccompMode: 0, noNewPrivs: -1, mknod: 1, cgroupsVisible: false, gvisorKernel: 1 },
    // A FIFO made in gVisor lives in gVisor's kernel only: the host's /output never has it.
    badOutputsDiffer: { 'score-fifo': /the model exited 0 but wrote no score/ },
  },
  {
    name: 'user-namespace remapping (userns-remap: default)',
    engine: { daemonConfig: { 'userns-remap': 'default' } },
    workerEnv: {},
    expect: { seccompMode: 2, noNewPrivs: 1, mknod: 0, cgroupsVisible: true, gvisorKernel: 0 },
  },
];

for (const iso of ISOLATIONS) {
  describe(`the container sandbox under ${iso.name}, attacked from inside`, function () {
    // An engine of its own, ~25 images loaded into it, and each hostile model run on it (minutes under gVisor).
    this.timeout(240_000);
    let engine: TestEngine;
    let stack: Stack;

    before(async function () {
      this.timeout(300_000); // building and loading every fixture into a new engine: tens of seconds on a loaded machine
      writeFileSync(HOST_SECRET_PATH, `${HOST_SECRET}\n`);
      const images = { ...HOSTILE, probe: probe({ host: '127.0.0.1', port: 9 }), 'kernel-probe': KERNEL_PROBE };
      await buildFixtures();
      await Promise.all(Object.entries(images).map(([name, f]) => buildFixture(name, f)));
      engine = await TestEngine.start({ name: iso.name.startsWith('gVisor') ? 'gvisor' : 'userns', ...iso.engine });
      await engine.loadImages([BASE_IMAGE, fixture('score-json'), fixture('slow'), ...Object.keys(images).map(fixture)]);
      stack = await startStack({ env: { ...LIMITS, ...iso.workerEnv, API_TOKENS: TOKEN, DOCKER_HOST: engine.dockerHost } });
    });
    after(async () => {
      rmSync(HOST_SECRET_PATH, { force: true });
      await stack?.stop();
      await engine?.destroy();
    });

    const containers = (): Promise<unknown[]> => engine.docker.listContainers({ all: true, filters: { label: [`${LABELS.deployment}=${stack.prefix}`] } });

    // As in sandbox.test.ts: after every attack the next model runs normally and nothing is left.
    afterEach(async function () {
      if (this.currentTest?.state !== 'passed') return;
      await waitFor('no container left behind', async () => ((await containers()).length === 0 ? true : undefined), 15_000);
      const next = await stack.submit(fixture('score-json'), 'after-attack');
      const done = await stack.waitForRun(next.id, undefined, 60_000);
      assert.equal(done.status, 'succeeded', `the next run after an attack failed: ${JSON.stringify(done)}`);
    });

    const run = async (image: string, name: string, limits?: Record<string, number>): Promise<RunView> => {
      const submitted = await stack.submit(fixture(image), name, limits);
      return stack.waitForRun(submitted.id, undefined, 200_000);
    };

    it('runs the model under the isolation it names (seen from inside and from the host)', async () => {
      const done = await run('kernel-probe', 'kernel');
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.equal(done.metrics!.gvisor_kernel, iso.expect.gvisorKernel, "gVisor's kernel answers the model's system calls");
      assert.equal(done.metrics!.uid, 0, 'the model runs as root inside its container');
      // Seen from the host: the runtime the engine used, and (userns) the host uid behind root.
      const submitted = await stack.submit(fixture('slow'), 'inspected');
      await stack.waitForPhase(submitted.id, 'running', 60_000);
      // The model's container, not its output keeper (same run id, the engine's default runtime).
      const c = (await engine.docker.listContainers({ filters: { label: [`${LABELS.runId}=${submitted.id}`] } })).find((x) => !isKeeper(x.Labels));
      const info = await engine.docker.getContainer(c!.Id).inspect();
      assert.equal(info.HostConfig.Runtime, iso.workerEnv.RUN_RUNTIME ?? 'runc');
      if (!iso.workerEnv.RUN_RUNTIME) {
        const hostUid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${info.State.Pid}/status`, 'utf8'))?.[1]);
        assert.ok(hostUid >= 100_000, `root in the container is host uid ${hostUid}, not 0`);
      }
      await stack.http.delete(`/v1/runs/${submitted.id}`).set(stack.auth).expect(202);
      await stack.waitForRun(submitted.id);
    });

    it('gives the model no network, a read-only root, a capped /tmp, no capabilities and every limit', async () => {
      const done = await run('probe', 'probe');
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      const m = done.metrics!;
      assert.equal(m.non_loopback_interfaces, 0, 'only the loopback interface');
      assert.equal(m.reached_bridge, 0, 'cannot connect out');
      assert.equal(m.root_writable, 0, 'root file system is read-only');
      assert.equal(m.tmp_writable, 1, '/tmp is writable');
      assert.equal(m.tmp_size_kb, 32 * 1024, '/tmp is capped at RUN_TMP_MB');
      assert.equal(m.cap_eff, 0, 'no effective capabilities');
      assert.equal(m.mknod, iso.expect.mknod, 'device nodes: none on runc (CAP_MKNOD dropped), only gVisor-internal ones under gVisor');
      assert.equal(m.no_new_privs, iso.expect.noNewPrivs, 'no-new-privileges as the kernel the model sees reports it');
      assert.equal(m.seccomp_mode, iso.expect.seccompMode, 'the seccomp filter as the kernel the model sees reports it');
      assert.equal(m.docker_socket, 0, 'no Docker socket');
      assert.equal(m.sees_host_file, 0, 'host files are not visible');
      const logs = (await stack.http.get(`/v1/runs/${done.id}/logs`).set(stack.auth)).text;
      if (iso.expect.cgroupsVisible) {
        const cg = cgroupLimits(cgroupFiles(logs));
        assert.equal(cg.pidsMax, 64);
        assert.equal(cg.memoryBytes, 128 * 1024 * 1024);
        assert.equal(cg.cpus, 0.5);
      } else {
        // gVisor shows the model no cgroup files: the limits are on the sandbox, proven by the attacks below.
        assert.deepEqual(cgroupFiles(logs), {}, 'gVisor hides the host cgroups');
      }
    });

    it('caps a fork bomb at the process limit', async () => {
      const done = await run('fork-bomb', 'fork-bomb');
      if (iso.expect.gvisorKernel) {
        // gVisor's kernel needs host threads for the model's processes: at the host limit it cannot
        // make one and the whole sandbox ends (exit 2), taking the bomb with it; the host is unharmed
        // (the afterEach runs the next model).
        assert.equal(done.status, 'failed', JSON.stringify(done));
        assert.equal(done.exitCode, 2, JSON.stringify(done));
      } else {
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        assert.ok(done.score! > 1 && done.score! < 64, `forked ${done.score} processes; the limit is 64`);
      }
    });

    it('fails a memory hog with reason oom', async () => {
      const done = await run('memory-hog', 'memory-hog', { memoryMb: 64 });
      assert.equal(done.status, 'failed');
      assert.equal(done.reason, 'oom', JSON.stringify(done));
    });

    it("holds a model that floods its output to RUN_OUTPUT_MAX_MB in a tmpfs: the host's disk never sees the flood", async () => {
      const submitted = await stack.submit(fixture('output-flood'), 'output-flood');
      // Where the model's /output is on the host: what its writes fill.
      const source = await waitFor(
        'the flooding model to run',
        async () => {
          const c = (await engine.docker.listContainers({ filters: { label: [`${LABELS.runId}=${submitted.id}`], status: ['running'] } })).find((x) => !isKeeper(x.Labels));
          const mounts = c ? (await engine.docker.getContainer(c.Id).inspect()).Mounts : [];
          return mounts.find((m) => m.Destination === '/output')?.Source;
        },
        120_000,
      ); // a container start on this engine, under gVisor on a loaded machine
      const used: number[] = [];
      for (const until = Date.now() + 2_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
        const st = statfsSync(source);
        assert.equal(st.type, 0x01021994, '/output is a tmpfs on the host'); // TMPFS_MAGIC
        used.push((st.blocks - st.bfree) * st.bsize);
      }
      const done = await stack.waitForRun(submitted.id, undefined, 200_000);
      assert.equal(done.reason, 'bad_output', JSON.stringify(done));
      assert.match(done.error!, /the output folder holds more than its limit of 1 MiB \(RUN_OUTPUT_MAX_MB\)/);
      assert.ok(Math.max(...used) <= 1024 * 1024 + 4096, `/output held ${Math.max(...used)} bytes; its cap is 1 MiB (and one page)`);
    });

    it('stops a model that ignores SIGTERM at its deadline, with reason timeout', async () => {
      const done = await run('ignores-sigterm', 'stubborn', { timeoutSeconds: 2 });
      assert.equal(done.reason, 'timeout', JSON.stringify(done));
    });

    for (const [image, message] of BAD_OUTPUTS) {
      it(`fails ${image} with reason bad_output, saying what was wrong`, async () => {
        const done = await run(image, image);
        assert.equal(done.reason, 'bad_output', JSON.stringify(done));
        assert.match(done.error!, iso.badOutputsDiffer?.[image] ?? message);
      });
    }

    it('never lets a symlink carry a host file to the API', async () => {
      const done = await run('score-symlink-host-file', 'symlink-host');
      assert.equal(done.reason, 'bad_output');
      const logs = await stack.http.get(`/v1/runs/${done.id}/logs`).set(stack.auth);
      assert.ok(![JSON.stringify(done), logs.text].join('\n').includes(HOST_SECRET), 'the host secret leaked');
    });

    if (iso.workerEnv.RUN_RUNTIME) {
      it('refuses to start a worker whose engine lacks the runtime, saying which it has', async () => {
        const config = loadWorkerConfig({ ...stack.env, RUN_RUNTIME: 'no-such-runtime', WORKER_METRICS_PORT: '0' });
        await assert.rejects(startWorker(config, testLogger('worker')), /the Docker engine has no runtime "no-such-runtime" \(RUN_RUNTIME\); it has: .*runsc/);
      });
    }
  });
}
