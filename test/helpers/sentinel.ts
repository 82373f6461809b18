import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './redis-server';
import { waitFor } from './wait';

export interface SentinelTopology {
  /** redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/<master> */
  url: string;
  masterName: string;
  /** The port of the server the sentinels call primary now. */
  primaryPort(): Promise<number>;
  /** SIGKILL the current primary, as a crash would; returns its port. */
  killPrimary(): Promise<number>;
  /** A planned switch (SENTINEL FAILOVER): the primary stays up and becomes a replica. Returns the new primary's port. */
  switchPrimary(): Promise<number>;
  stop(): Promise<void>;
}

const MASTER = 'modelrun-test';

function binary(name: 'redis-server' | 'redis-sentinel', pkg: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} is not installed: apt-get install ${pkg}`);
  }
}

/**
 * A primary (AOF, fsync always, noeviction), `replicas` replicas (default 1) and three
 * sentinels on free loopback ports, each in a temp folder of its own, with a short
 * `down-after-milliseconds` so a killed primary is replaced in a few seconds. Replication is
 * asynchronous, as Redis's default. With `password`, the servers require it (and replicas use
 * it to reach the primary); the sentinels themselves stay open, as they often are.
 */
export async function startSentinelTopology(opts: { replicas?: number; downAfterMs?: number; password?: string } = {}): Promise<SentinelTopology> {
  const serverBin = binary('redis-server', 'redis-server');
  const sentinelBin = binary('redis-sentinel', 'redis-sentinel');
  const dir = mkdtempSync(join(tmpdir(), 'modelrun-sentinel-'));
  const children = new Map<number, ChildProcess>();
  const spawnOn = (port: number, bin: string, args: string[]): void => {
    const child = spawn(bin, args, { stdio: 'ignore' });
    children.set(port, child);
  };
  const serverArgs = (port: number): string[] => {
    const d = join(dir, String(port));
    execFileSync('mkdir', ['-p', d]);
    const auth = opts.password ? ['--requirepass', opts.password, '--masterauth', opts.password] : [];
    return ['--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--save', '', ...auth];
  };

  try {
    const primary = await freePort();
    spawnOn(primary, serverBin, serverArgs(primary));
    await waitFor(`redis-server on ${primary}`, () => ping(primary, opts.password), 10_000);
    const replicaCount = opts.replicas ?? 1;
    for (let i = 0; i < replicaCount; i++) {
      const replica = await freePort();
      spawnOn(replica, serverBin, [...serverArgs(replica), '--replicaof', '127.0.0.1', String(primary)]);
      await waitFor(`the replica on ${replica} to sync`, async () => ((await info(replica, 'replication', opts.password)).includes('master_link_status:up') ? true : undefined), 15_000);
    }

    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      sentinelPorts.push(port);
      // Sentinel rewrites its configuration file (what it learns), so each has its own.
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${MASTER} 127.0.0.1 ${primary} 2`,
          `sentinel down-after-milliseconds ${MASTER} ${opts.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${MASTER} 5000`,
          `sentinel parallel-syncs ${MASTER} 1`,
          ...(opts.password ? [`sentinel auth-pass ${MASTER} ${opts.password}`] : []),
          '',
        ].join('\n'),
      );
      spawnOn(port, sentinelBin, [conf]);
    }
    // Sentinels find each other and the replica through the primary's hello channel.
    await waitFor(
      'the sentinels to see each other and the replicas',
      async () => {
        for (const port of sentinelPorts) {
          const m = await sentinelMaster(port);
          if (Number(m['num-other-sentinels']) !== 2 || Number(m['num-slaves']) !== replicaCount) return undefined;
        }
        return true;
      },
      20_000,
      200,
    );

    const primaryPort = async (): Promise<number> => {
      for (const port of sentinelPorts) {
        const addr = await sentinelCommand(port, ['get-master-addr-by-name', MASTER]).catch(() => undefined);
        if (Array.isArray(addr)) return Number(addr[1]);
      }
      throw new Error('no sentinel answered');
    };
    return {
      url: `redis+sentinel://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${MASTER}`,
      masterName: MASTER,
      primaryPort,
      async killPrimary() {
        const port = await primaryPort();
        const child = children.get(port);
        if (!child || child.exitCode !== null) throw new Error(`the primary on ${port} is not one of this topology's live servers`);
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
        return port;
      },
      async switchPrimary() {
        const before = await primaryPort();
        await sentinelCommand(sentinelPorts[0]!, ['failover', MASTER]);
        // failover-timeout is 5 s; twice that for a loaded machine.
        return waitFor(
          'the sentinels to name a new primary',
          async () => {
            const now = await primaryPort();
            return now !== before ? now : undefined;
          },
          10_000,
          100,
        );
      },
      stop: () => stopAll(children, dir),
    };
  } catch (err) {
    await stopAll(children, dir);
    throw err;
  }
}

async function stopAll(children: Map<number, ChildProcess>, dir: string): Promise<void> {
  await Promise.all(
    [...children.values()].map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }),
  );
  rmSync(dir, { recursive: true, force: true });
}

/** A plain connection (no sentinel lookup) to one server or sentinel, for one command. */
async function once<T>(port: number, fn: (r: Redis) => Promise<T>, password?: string): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000, ...(password && { password }) });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

const ping = (port: number, password?: string): Promise<true | undefined> => once(port, async (r) => ((await r.ping()) === 'PONG' ? true : undefined), password).catch(() => undefined);
const info = (port: number, section: string, password?: string): Promise<string> => once(port, (r) => r.info(section), password).catch(() => '');
const sentinelCommand = (port: number, args: string[]): Promise<unknown> => once(port, (r) => r.call('SENTINEL', ...args));

async function sentinelMaster(port: number): Promise<Record<string, string>> {
  const flat = (await sentinelCommand(port, ['master', MASTER]).catch(() => [])) as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
