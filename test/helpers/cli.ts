import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCommand {
  /** Resolves when it exits, with all it printed. */
  done: Promise<CommandResult>;
  /** What it has printed on stdout so far. */
  stdout(): string;
  kill(signal: NodeJS.Signals): void;
}

/** Starts a command, from the repository root unless told (stdout is a pipe, never a terminal). */
export function startCommand(cmd: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): RunningCommand {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CommandResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  return { done, stdout: () => stdout, kill: (signal) => void child.kill(signal) };
}

export function runCommand(cmd: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CommandResult> {
  return startCommand(cmd, args, env, cwd).done;
}

/** `modelrun` from source (as `npx modelrun` runs the build), without npm's start-up. */
export const MODELRUN = ['--conditions=development', '--import', 'tsx', 'apps/cli/src/main.ts'];

export function startModelrun(args: string[], env: Record<string, string> = {}): RunningCommand {
  return startCommand(process.execPath, [...MODELRUN, ...args], env);
}

export function modelrun(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return startModelrun(args, env).done;
}

export const explain = (r: CommandResult): string => `status ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
