import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseRedisTarget } from '@modelrun/config';
import { waitFor } from './wait';

export interface RedisServer {
  url: string;
  port: number;
  /** SIGKILL: no chance to save, as in a crash. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and data folder (AOF replays what was written). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function redisBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('redis-server is not installed: apt-get install redis-server (or set REDIS_URL to a Redis to use)');
  }
}

/**
 * A private redis-server on a free loopback port, configured as modelrun requires (AOF on,
 * fsync every write so a kill -9 loses nothing, noeviction), in a temp folder of its own.
 */
export async function startRedisServer(opts: { appendonly?: boolean; policy?: string } = {}): Promise<RedisServer> {
  const bin = redisBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'modelrun-redis-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        opts.appendonly === false ? 'no' : 'yes',
        '--appendfsync',
        'always',
        '--maxmemory-policy',
        opts.policy ?? 'noeviction',
        '--save',
        '',
        '--protected-mode',
        'yes',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(`redis-server on port ${port}`, () => probe(port), 10_000);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill9: async () => {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
    restart: start,
    stop: async () => {
      const c = child;
      if (c && c.exitCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function probe(port: number): Promise<true | undefined> {
  const { Socket } = await import('node:net');
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(500);
    s.once('error', () => resolve(undefined));
    s.once('timeout', () => {
      s.destroy();
      resolve(undefined);
    });
    s.connect(port, '127.0.0.1', () => {
      s.write('PING\r\n');
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG') ? true : undefined);
      });
    });
  });
}

/**
 * A connection for test bookkeeping (reading or clearing a test's keys) to whatever REDIS_URL
 * names, a Sentinel group included; one retry per command, so a dead Redis fails the call.
 */
export function testRedis(url: string): Redis {
  const target = parseRedisTarget(url);
  const conn =
    target.kind === 'standalone'
      ? new Redis(url, { maxRetriesPerRequest: 1 })
      : new Redis({
          sentinels: target.sentinels,
          name: target.masterName,
          db: target.db,
          maxRetriesPerRequest: 1,
          ...(target.username && { username: target.username }),
          ...(target.password && { password: target.password }),
          ...(target.sentinelPassword && { sentinelPassword: target.sentinelPassword }),
        });
  conn.on('error', () => undefined);
  return conn;
}
