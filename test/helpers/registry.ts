import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { freePort } from './redis-server';
import { waitFor } from './wait';

export interface Credentials {
  username: string;
  password: string;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the engine talks plain HTTP to registries on loopback. */
  host: string;
  /** Stops it (SIGTERM), keeping its storage: the registry is unreachable until `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and storage. */
  start(): Promise<void>;
  /** Stops it and deletes its storage. */
  dispose(): Promise<void>;
}

function binary(name: string, pkg: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} is not installed: apt-get install ${pkg}`);
  }
}

/**
 * Debian's `docker-registry` (distribution 2.8) on a free loopback port, with htpasswd (bcrypt)
 * auth for `users`, its storage in a temp folder. Pushing and pulling go through the engine.
 */
export async function startRegistry(users: Credentials[]): Promise<TestRegistry> {
  const registry = binary('docker-registry', 'docker-registry');
  const htpasswd = binary('htpasswd', 'apache2-utils');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'modelrun-registry-'));
  const lines = users.map((u) => execFileSync(htpasswd, ['-nbB', u.username, u.password], { encoding: 'utf8' }).trim());
  writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: error, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}", secret: ${randomBytes(16).toString('hex')}}`,
      `auth: {htpasswd: {realm: modelrun-test, path: ${join(dir, 'htpasswd')}}}`,
      '',
    ].join('\n'),
  );
  const host = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async (): Promise<void> => {
    stderr = '';
    const c = spawn(registry, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child = c;
    // With auth on, /v2/ answers 401 once the registry serves.
    await waitFor(
      `docker-registry on ${host}`,
      async () => {
        if (c.exitCode !== null) throw new Error(`docker-registry exited ${c.exitCode}: ${stderr}`);
        const res = await fetch(`http://${host}/v2/`).catch(() => undefined);
        return res?.status === 401 ? true : undefined;
      },
      10_000,
    );
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    host,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Tags a local image as `target` and pushes it with `auth`; the local tag is removed after. */
export async function pushImage(docker: Docker, source: string, target: string, auth: Credentials & { serveraddress: string }): Promise<void> {
  const at = target.lastIndexOf(':');
  const [repo, tag] = at > target.lastIndexOf('/') ? [target.slice(0, at), target.slice(at + 1)] : [target, 'latest'];
  await docker.getImage(source).tag({ repo, tag });
  try {
    const stream = await docker.getImage(target).push({ authconfig: auth });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
        const failed = err?.message ?? out.find((o) => o.error)?.error;
        if (failed) reject(new Error(`pushing ${target} failed: ${failed}`));
        else resolve();
      });
    });
  } finally {
    await docker
      .getImage(target)
      .remove()
      .catch(() => undefined);
  }
}

/**
 * A TCP proxy in front of `target` that sends what comes back at most `bytesPerSecond`, so a
 * pull through it lasts long enough to be watched. The engine treats it as its own registry
 * (`127.0.0.1:<port>`, a different host: credentials go by host).
 */
export async function slowProxy(target: string, bytesPerSecond: number): Promise<{ host: string; close(): Promise<void> }> {
  const { createServer, connect } = await import('node:net');
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort), targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    // 10 slices a second, each waiting its turn: the rate holds however the chunks arrive.
    const slice = Math.max(1, Math.floor(bytesPerSecond / 10));
    let queue = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      upstream.pause();
      queue = queue.then(async () => {
        for (let i = 0; i < chunk.length; i += slice) {
          client.write(chunk.subarray(i, i + slice));
          await new Promise((r) => setTimeout(r, 100));
        }
        upstream.resume();
      });
    });
    upstream.on('end', () => void queue.then(() => client.end()));
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
