import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ChildReply, ChildRequest, Ready } from './api-protocol';

export interface ApiProcess {
  ready: Ready;
  pid: number;
  /** Sends a request and resolves with the first answer of the expected type. */
  ask<T extends ChildReply['type']>(req: ChildRequest, expect: T, timeoutMs?: number): Promise<Extract<ChildReply, { type: T }>>;
  stop(): Promise<void>;
}

/**
 * Starts the real API (api-child.ts) in its own Node process, from source through tsx, with
 * --expose-gc so resident memory can be read after a full collection.
 */
export async function startApiProcess(env: Record<string, string>, opts: { timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<ApiProcess> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const child: ChildProcess = fork(join(__dirname, 'api-child.ts'), [], {
    // BENCH_API_NODE_ARGS (e.g. --cpu-prof) lets a profile of the API be taken under bench load.
    // --max-semi-space-size as the API's image runs it (Dockerfile).
    execArgv: ['--conditions=development', '--import', 'tsx', '--expose-gc', '--max-semi-space-size=64', ...(opts.nodeArgs ?? process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    env: { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = <T extends ChildReply['type']>(expect: T, ms: number): Promise<Extract<ChildReply, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`api child did not answer ${expect} within ${ms} ms`)), ms);
      const onMessage = (msg: ChildReply): void => {
        if (msg.type === 'error') done(new Error(msg.message));
        else if (msg.type === expect) done(undefined, msg as Extract<ChildReply, { type: T }>);
      };
      const onExit = (code: number | null): void => done(new Error(`api child exited (${code}) while waiting for ${expect}`));
      const done = (err?: Error, value?: Extract<ChildReply, { type: T }>): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(value!);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next('ready', timeoutMs).catch((err: Error) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    ready,
    pid: child.pid!,
    ask: (req, expect, ms = 120_000) => {
      const answer = next(expect, ms);
      child.send(req);
      return answer;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' } satisfies ChildRequest);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
