import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './wait';

export interface AppProcess {
  child: ChildProcess;
  /** Every JSON log line it has written so far. */
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once a log line with this message was written. */
  waitForLog(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts `apps/<app>/src/main.ts` as a real process (from source, through tsx), with JSON logs
 * collected, so tests can kill it the way a crash or a deploy would.
 */
export function spawnApp(app: 'api' | 'worker', env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', `apps/${app}/src/main.ts`], {
    env: { ...process.env, ...env, LOG_FORMAT: 'json', LOG_LEVEL: env.LOG_LEVEL ?? 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  const onData = (chunk: Buffer): void => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ message: line });
      }
    }
    if (process.env.MODELRUN_TEST_LOGS === '1') process.stderr.write(chunk);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    exited,
    // 60 s, as for TwoHosts workers: tsx compiles the app from source at start, two at once on a loaded 2-core machine.
    waitForLog: (message, timeoutMs = 60_000) => waitFor(`${app} to log "${message}"`, () => lines.find((l) => l.message === message), timeoutMs),
    kill: (signal) => {
      child.kill(signal);
    },
  };
}
