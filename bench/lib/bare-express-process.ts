import { fork } from 'node:child_process';
import { join } from 'node:path';

/** A process's CPU time so far (process.cpuUsage()), in µs. */
export interface CpuTime {
  user: number;
  system: number;
}

/**
 * Starts bare-express.ts in its own Node process; resolves with its URL and a stop().
 * `enqueue` makes it add each run to BullMQ on that Redis and queue prefix before its 202.
 */
export async function startBareExpress(enqueue?: { redisUrl: string; prefix: string }): Promise<{ url: string; cpu(): Promise<CpuTime>; stop(): Promise<void> }> {
  const child = fork(join(__dirname, 'bare-express.ts'), [], {
    execArgv: ['--conditions=development', '--import', 'tsx'],
    env: { ...process.env, NODE_ENV: 'production', ...(enqueue && { BARE_ENQUEUE_REDIS_URL: enqueue.redisUrl, BARE_ENQUEUE_PREFIX: enqueue.prefix }) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bare Express did not start within 60 s')), 60_000);
    child.once('message', (m: { url: string }) => {
      clearTimeout(timer);
      resolve(m.url);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bare Express exited (${code}) before it listened`));
    });
  });
  return {
    url,
    cpu: () =>
      new Promise<CpuTime>((resolve) => {
        const onMessage = (m: { type?: string } & CpuTime): void => {
          if (m.type !== 'cpu') return;
          child.off('message', onMessage);
          resolve({ user: m.user, system: m.system });
        };
        child.on('message', onMessage);
        child.send('cpu');
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.send('stop');
      await exited;
      clearTimeout(timer);
    },
  };
}
