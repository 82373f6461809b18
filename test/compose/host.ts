import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface RunOpts {
  cwd: string;
  /** Kill it after this long, and fail saying so. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Stream its output through (long builds); otherwise it is kept and shown only on failure. */
  echo?: boolean;
}

/** Runs a command with a deadline; resolves with its stdout, rejects with its output's tail. */
export function run(cmd: string, args: string[], opts: RunOpts): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b;
      if (opts.echo) process.stdout.write(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b;
      if (opts.echo) process.stderr.write(b);
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not be started: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(out);
      const tail = `${out}${err}`.trim().split('\n').slice(-40).join('\n');
      const why = signal ? `was killed after ${opts.timeoutMs / 1000} s (its deadline)` : `exited with ${code}`;
      reject(new Error(`\`${cmd} ${args.join(' ')}\` ${why}${tail && !opts.echo ? `:\n${tail}` : ''}`));
    });
  });
}

function succeeds(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `docker compose` (v2) where the plugin exists, else docker-compose (v1); null when neither. */
export function composeCommand(): string[] | null {
  if (succeeds('docker', ['compose', 'version'])) return ['docker', 'compose'];
  if (succeeds('docker-compose', ['version'])) return ['docker-compose'];
  return null;
}

/** BuildKit needs the buildx plugin; without it, builds use the legacy builder. */
export function hasBuildx(): boolean {
  return succeeds('docker', ['buildx', 'version']);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The group of the engine's socket, which the compose file gives the worker (group_add). */
export function dockerSocketGid(): number {
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) {
    throw new Error(`DOCKER_HOST=${host}: the compose stack mounts the engine's local socket; run this on the engine's host`);
  }
  const socket = host ? host.slice('unix://'.length) : '/var/run/docker.sock';
  return Number(execFileSync('stat', ['-c', '%g', socket], { encoding: 'utf8' }).trim());
}

/**
 * PEM certificates the image build's npm must trust where this machine's way out re-signs TLS:
 * EXTRA_CA_CERTS if set, else the CAs added locally under /usr/local/share/ca-certificates.
 */
export function extraCaCerts(): string {
  if (process.env.EXTRA_CA_CERTS !== undefined) return process.env.EXTRA_CA_CERTS;
  const dir = '/usr/local/share/ca-certificates';
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.crt'))
    .map((f) => readFileSync(join(dir, f), 'utf8').trim())
    .join('\n');
}
