import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  /** Load average at the start: other people's work on a shared machine shows here. */
  loadAverage: number[];
  node: string;
  docker: string;
  redis: string;
  os: string;
}

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const osRelease = tryRun('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    docker: tryRun('docker', ['version', '--format', '{{.Server.Version}}']),
    redis: tryRun('redis-server', ['--version']).replace(/^Redis server /, ''),
    os: osRelease,
  };
}

/** bench/results/<time>-<mode>.json: everything measured, for comparing runs later. */
export function writeResults(dir: string, mode: 'quick' | 'full' | 'fleet' | 'isolation' | 'tracing' | 'retention', data: unknown): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${stamp}-${mode}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
