import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { CommandStats } from './redis-calls';

export interface CommandCost {
  command: string;
  /** Calls per unit. */
  calls: number;
  /** Microseconds inside the command per unit (a script's include the commands it ran). */
  usec: number;
}

/**
 * Where a unit's (a run's) Redis time went between two snapshots, costliest first. Top-level
 * and in-script calls are not told apart by commandstats: `hget` counts the HGETs scripts ran
 * too, whose time is also in `evalsha`'s. `insideUsec` sums top-level commands only (evalsha
 * and eval include their inner commands), so `cpu - insideUsec` is what Redis spent outside any
 * command: reading requests, writing replies, the event loop, AOF.
 */
export function costPerUnit(before: CommandStats, after: CommandStats, units: number, inScripts: ReadonlySet<string> = new Set()): { commands: CommandCost[]; insideUsec: number } {
  const commands = [...after]
    .map(([command, a]) => {
      const b = before.get(command) ?? { calls: 0, usec: 0 };
      return { command, calls: (a.calls - b.calls) / units, usec: (a.usec - b.usec) / units };
    })
    .filter((c) => c.calls > 0 && c.command !== 'info')
    .sort((x, y) => y.usec - x.usec);
  // Only commands that no script ran in this window are surely top level.
  const insideUsec = commands.filter((c) => c.command.startsWith('eval') || !inScripts.has(c.command)).reduce((s, c) => s + c.usec, 0);
  return { commands, insideUsec };
}

/** A script's name by the SHA1 Redis knows it by: BullMQ's own and modelrun's (each package's src/commands/*.lua). */
export function scriptNames(repoRoot: string): Map<string, string> {
  const names = new Map<string, string>();
  const sha = (s: string): string => createHash('sha1').update(s).digest('hex');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bullmq = require('bullmq/dist/cjs/scripts') as Record<string, { name: string; content: string }>;
  for (const s of Object.values(bullmq)) names.set(sha(s.content), `bullmq:${s.name}`);
  for (const pkg of readdirSync(join(repoRoot, 'packages'))) {
    const dir = join(repoRoot, 'packages', pkg, 'src', 'commands');
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
    } catch {
      continue;
    }
    for (const f of files) names.set(sha(readFileSync(join(dir, f), 'utf8')), `${pkg}:${f.replace(/\.lua$/, '')}`);
  }
  return names;
}

/** Calls per unit by "connection name  command [script]", costliest first; `inScripts` the commands scripts ran. */
export interface CallCensus {
  calls: { who: string; what: string; calls: number }[];
  inScripts: Set<string>;
}

/**
 * Watches every command (MONITOR) while `work` runs, and names who sent it (CLIENT LIST names)
 * and which script an EVALSHA ran. MONITOR costs Redis time of its own: a census pass is never
 * one whose CPU is measured.
 */
export async function censusDuring(redisUrl: string, units: number, scripts: ReadonlyMap<string, string>, work: () => Promise<void>): Promise<CallCensus> {
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  // monitor() opens a connection of its own beside the one it is called on.
  const watcher = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const monitor = await watcher.monitor();
  const counts = new Map<string, number>();
  const inScripts = new Set<string>();
  const seen: { source: string; what: string }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const command = (args[0] ?? '').toLowerCase();
    if (source === 'lua') {
      inScripts.add(command);
      return;
    }
    const script = command === 'evalsha' ? (scripts.get(args[1] ?? '') ?? `sha ${(args[1] ?? '').slice(0, 8)}`) : command === 'eval' ? 'inline script' : undefined;
    seen.push({ source, what: script ? `${command} ${script}` : command });
  });
  try {
    await work();
    // Names are read at the end: every connection the work used is still open then.
    const list = (await admin.client('LIST')) as string;
    const names = new Map<string, string>();
    for (const line of list.split('\n')) {
      const addr = /\baddr=(\S+)/.exec(line)?.[1];
      const name = /\bname=(\S*)/.exec(line)?.[1];
      if (addr) names.set(addr, name || '(unnamed)');
    }
    for (const { source, what } of seen) {
      const key = `${names.get(source) ?? '(closed)'}\t${what}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  } finally {
    monitor.disconnect();
    watcher.disconnect();
    admin.disconnect();
  }
  const calls = [...counts]
    .map(([key, n]) => {
      const [who, what] = key.split('\t') as [string, string];
      return { who, what, calls: n / units };
    })
    .filter((c) => !c.what.startsWith('info') && !c.what.startsWith('client'))
    .sort((a, b) => b.calls - a.calls);
  return { calls, inScripts };
}

/** The breakdown as lines for the bench's log. */
export function formatBreakdown(cpuUsec: number, cost: ReturnType<typeof costPerUnit>, census: CallCensus | undefined): string[] {
  const f = (n: number, d = 1): string => n.toFixed(d).padStart(7);
  const lines = [`  Redis per run, by command (INFO commandstats; a script's time includes the commands it ran, marked *):`];
  for (const c of cost.commands.slice(0, 20)) {
    lines.push(`    ${c.command.padEnd(18)} ${f(c.calls)} calls ${f(c.usec, 0)} µs${census?.inScripts.has(c.command) ? ' *' : ''}`);
  }
  lines.push(
    `    ${'(outside commands)'.padEnd(18)} ${''.padStart(13)} ${f(Math.max(0, cpuUsec - cost.insideUsec), 0)} µs of ${cpuUsec.toFixed(0)} µs CPU: reading requests, writing replies, the event loop`,
  );
  if (census) {
    lines.push(`  Calls per run, by connection and script (MONITOR, on a batch of its own; an auto-pipelined connection sends several in one round trip):`);
    for (const c of census.calls.filter((x) => x.calls >= 0.05).slice(0, 30)) lines.push(`    ${c.who.padEnd(28)} ${c.what.padEnd(40)} ${f(c.calls, 2)}`);
  }
  return lines;
}
