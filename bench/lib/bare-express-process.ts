import { fork } from 'node:child_process';
import { join } from 'node:path';

/**
 * Starts bare-express.ts in its own Node process; resolves with its URL and a stop().
 * `enqueue` makes it add each run to BullMQ on that Redis and queue prefix before its 202.
 */
export async function startBareExpress(enqueue?: { redisUrl: string; prefix: string }): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
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
    pid: child.pid!,
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
