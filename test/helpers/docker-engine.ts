import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { docker as mainEngine } from './docker';
import { waitFor } from './wait';

/**
 * A second Docker engine on this machine, standing for another worker host: its own data root,
 * exec root, socket, pid file, bridge and cgroup parent, so it shares nothing with the main
 * engine but the kernel. Tests start it, stop, restart or kill it like a host would be, and
 * remove it (with its bridge and folders) when done. Never touches the main engine.
 */
export interface TestEngineOptions {
  /** Short label for names and logs (letters and digits). */
  name: string;
  /** `--live-restore`: containers keep running while the engine is down. */
  liveRestore?: boolean;
  /**
   * Puts an executable `nvidia-container-runtime-hook` on the engine's PATH (a stand-in that
   * reads its stdin and exits 0), so it accepts NVIDIA device requests and sets
   * NVIDIA_VISIBLE_DEVICES in the container, as a GPU host would. Without it, it refuses them.
   */
  gpuStandIn?: boolean;
  /**
   * The engine's daemon.json (`--config-file`), for what only the file can say: runtimes with
   * their arguments (gVisor's `runsc` needs `--network=none` here), `default-runtime`,
   * `userns-remap`. Engines without it read no file (never the main engine's /etc/docker one).
   */
  daemonConfig?: Record<string, unknown>;
  /**
   * The data root on a tmpfs of this many MiB, mounted before the first boot, so a test can fill
   * the engine's disk: images, containers and the engine's own files share it. Like a power cut,
   * kill() loses it (it unmounts what the engine left mounted): not for tests that boot again.
   */
  dataRootMb?: number;
}

const DOCKERD = '/usr/sbin/dockerd';
/** Engine start-up on a loaded 2-core machine takes 1-5 s; 60 s says it is broken, not slow. */
const START_TIMEOUT_MS = 60_000;
/** A stop waits for the engine to stop its containers (10 s grace by default) and exit. */
const STOP_TIMEOUT_MS = 40_000;

export class TestEngine {
  readonly docker: Docker;
  /** `unix:///…/docker.sock`, for a worker's DOCKER_HOST. */
  readonly dockerHost: string;
  private child: ChildProcess | undefined;
  private readonly root: string;
  private readonly bridge: string;
  private readonly socket: string;

  private constructor(private readonly opts: TestEngineOptions) {
    const id = randomBytes(3).toString('hex');
    // Short paths: containerd's socket lives under the exec root and unix socket paths are capped at 108 bytes.
    this.root = `/tmp/mre-${opts.name.slice(0, 8)}-${id}`;
    this.bridge = `mre${id}`;
    this.socket = `${this.root}/docker.sock`;
    this.dockerHost = `unix://${this.socket}`;
    this.docker = new Docker({ socketPath: this.socket });
  }

  /** Starts a new engine and waits until it answers. */
  static async start(opts: TestEngineOptions): Promise<TestEngine> {
    if (!existsSync(DOCKERD)) throw new Error(`${DOCKERD} is missing: apt-get install docker.io`);
    const engine = new TestEngine(opts);
    mkdirSync(`${engine.root}/bin`, { recursive: true });
    engine.createBridge();
    // Always a file of its own: without --config-file dockerd would read the main engine's.
    writeFileSync(`${engine.root}/daemon.json`, JSON.stringify(opts.daemonConfig ?? {}));
    if (opts.gpuStandIn) {
      writeFileSync(`${engine.root}/bin/nvidia-container-runtime-hook`, '#!/bin/sh\ncat >/dev/null\nexit 0\n');
      chmodSync(`${engine.root}/bin/nvidia-container-runtime-hook`, 0o755);
    }
    if (opts.dataRootMb) {
      mkdirSync(`${engine.root}/data`, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.dataRootMb}m,mode=0711`, 'modelrun-test-data-root', `${engine.root}/data`]);
    }
    try {
      await engine.boot();
    } catch (err) {
      await engine.destroy();
      throw err;
    }
    return engine;
  }

  /** The engine's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** Starts the engine again on the same data (after stop or kill), as a host coming back. */
  async boot(): Promise<void> {
    const log = openSync(`${this.root}/dockerd.log`, 'a');
    const args = [
      `--data-root=${this.root}/data`,
      `--exec-root=${this.root}/exec`,
      `--host=${this.dockerHost}`,
      `--pidfile=${this.root}/docker.pid`,
      `--config-file=${this.root}/daemon.json`,
      `--bridge=${this.bridge}`,
      // Its containers' cgroups apart from the main engine's, so a lost host can be killed whole.
      `--cgroup-parent=/${this.bridge}`,
      // The main engine owns the firewall rules; model containers have no network anyway.
      '--iptables=false',
      '--ip-masq=false',
      ...(this.opts.liveRestore ? ['--live-restore'] : []),
    ];
    this.child = spawn(DOCKERD, args, {
      stdio: ['ignore', log, log],
      env: { ...process.env, PATH: `${this.root}/bin:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
    });
    // dockerd holds its own copy of the log descriptor; ours would only leak one per boot.
    closeSync(log);
    const child = this.child;
    await waitFor(
      `the test engine ${this.opts.name} to answer on ${this.socket}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}: ${this.logTail()}`);
        await this.docker.ping();
        return true;
      },
      START_TIMEOUT_MS,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.logTail()}`);
    });
  }

  /** Stops the engine as `systemctl stop docker` would (SIGTERM): it stops its containers unless live-restore. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([exited, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`dockerd ${this.opts.name} did not stop in time`)), STOP_TIMEOUT_MS)))]);
    } finally {
      // Cleared once the engine has stopped: left, it held the test process open for 40 s.
      clearTimeout(timer);
    }
  }

  /** An engine restart (upgrade, `systemctl restart docker`): stop, then start on the same data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.boot();
  }

  /**
   * The host is lost: the engine, its containerd, its shims and every container process die at
   * once (SIGKILL), as in a power cut. `boot()` brings the host back with whatever its disk kept.
   */
  async kill(): Promise<void> {
    const containerPids = await this.runningContainerPids().catch(() => [] as number[]);
    const child = this.child;
    const exited = child && child.exitCode === null ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : Promise.resolve();
    // Everything started for this engine names its exec root on its command line (dockerd, containerd, shims).
    const pids = [...this.pidsMatching(`${this.root}/exec`), ...containerPids, ...this.cgroupPids()];
    for (const pid of new Set(pids)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await exited;
    await waitFor(`the processes of engine ${this.opts.name} to be gone`, () => (this.cgroupPids().length === 0 && this.pidsMatching(`${this.root}/exec`).length === 0 ? true : undefined), 10_000);
    // A host that comes back has rebooted: no mounts, and an empty /run (the exec root).
    this.unmountAll();
    rmSync(`${this.root}/exec`, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Copies images from the main engine into this one (`docker save | docker load`). */
  async loadImages(tags: string[]): Promise<void> {
    if (tags.length === 0) return;
    const main = await mainEngine();
    for (const tag of tags) {
      const tarball = (await main.getImage(tag).get()) as unknown as Readable;
      const loaded = (await this.docker.loadImage(tarball)) as unknown as Readable;
      await new Promise<void>((resolve, reject) => {
        loaded.on('data', () => undefined);
        loaded.on('end', () => resolve());
        loaded.on('error', reject);
      });
    }
  }

  /** Kills the engine and everything it ran, and removes its bridge and folders. */
  async destroy(): Promise<void> {
    await this.kill().catch(() => undefined);
    this.unmountAll();
    try {
      execFileSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    this.removeCgroups();
    rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Unmounts what the engine left mounted (overlay layers, shm, netns), deepest first. */
  private unmountAll(): void {
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${this.root}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        // Gone already; a mount we cannot remove only keeps its folder.
      }
    }
  }

  private createBridge(): void {
    const used = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
    let subnet: string | undefined;
    for (let tries = 0; tries < 50 && !subnet; tries++) {
      const candidate = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
      if (!used.includes(` ${candidate}.`)) subnet = candidate;
    }
    if (!subnet) throw new Error('no free 10.x subnet for the test engine bridge');
    execFileSync('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', this.bridge]);
    execFileSync('ip', ['link', 'set', this.bridge, 'up']);
  }

  private async runningContainerPids(): Promise<number[]> {
    if (this.pid === undefined) return [];
    const list = await this.docker.listContainers();
    const infos = await Promise.all(list.map((c) => this.docker.getContainer(c.Id).inspect()));
    return infos.map((i) => i.State.Pid).filter((p) => p > 0);
  }

  private pidsMatching(text: string): number[] {
    try {
      return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((p) => p !== process.pid);
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  }

  /** Processes in this engine's cgroup parent (cgroup v1 pids controller, or v2 unified). */
  private cgroupPids(): number[] {
    const pids: number[] = [];
    for (const base of [`/sys/fs/cgroup/pids/${this.bridge}`, `/sys/fs/cgroup/${this.bridge}`]) {
      if (!existsSync(base)) continue;
      try {
        const out = execFileSync('find', [base, '-name', 'cgroup.procs', '-exec', 'cat', '{}', '+'], { encoding: 'utf8' });
        pids.push(...out.split('\n').filter(Boolean).map(Number));
      } catch {
        // A cgroup removed while we looked.
      }
    }
    return pids;
  }

  private removeCgroups(): void {
    try {
      const dirs = execFileSync('find', ['/sys/fs/cgroup', '-maxdepth', '3', '-type', 'd', '-name', this.bridge], { encoding: 'utf8' }).split('\n').filter(Boolean);
      for (const dir of dirs) execFileSync('find', [dir, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
    } catch {
      // Empty cgroups left behind are harmless.
    }
  }

  private logTail(): string {
    try {
      return readFileSync(`${this.root}/dockerd.log`, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  }
}
