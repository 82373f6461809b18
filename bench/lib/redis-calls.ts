import { Redis } from 'ioredis';

/** Per command name (INFO commandstats): calls, and microseconds Redis spent inside them. Commands run by Lua scripts count too, and inside their script's time. */
export type CommandStats = Map<string, { calls: number; usec: number }>;

export async function commandStats(redisUrl: string): Promise<CommandStats> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await r.connect();
    const text = await r.info('commandstats');
    const stats: CommandStats = new Map();
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
    return stats;
  } finally {
    r.disconnect();
  }
}

/** Calls per command name (INFO commandstats): commands run inside Lua scripts count too. */
export type CommandCounts = Map<string, number>;

/** The calls of a commandstats snapshot. */
export function callsOf(stats: CommandStats): CommandCounts {
  return new Map([...stats].map(([command, s]) => [command, s.calls]));
}

export async function commandCounts(redisUrl: string): Promise<CommandCounts> {
  return callsOf(await commandStats(redisUrl));
}

/**
 * Redis work per unit (a run, a job) between two counts: `scripts` Lua script calls (EVALSHA,
 * EVAL: one round trip each), `commands` every command including those the scripts ran, `top`
 * the commonest per unit.
 */
export function perUnit(before: CommandCounts, after: CommandCounts, units: number): { scripts: number; commands: number; top: Record<string, number> } {
  const diff = [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([k, v]) => v > 0 && k !== 'info');
  const round = (v: number): number => Math.round((v / units) * 10) / 10;
  const sum = (xs: (readonly [string, number])[]): number => xs.reduce((s, [, v]) => s + v, 0);
  return {
    scripts: round(sum(diff.filter(([k]) => k.startsWith('eval')))),
    commands: round(sum(diff)),
    top: Object.fromEntries(
      diff
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([k, v]) => [k, round(v)]),
    ),
  };
}

/**
 * The Redis server's own CPU time so far, user and system, in microseconds (INFO cpu: its
 * getrusage). What a run costs the one part every host shares: its commands, the Lua they run,
 * and the network reads and writes around them, which commands alone do not show.
 */
export async function redisCpuMicros(redisUrl: string): Promise<number> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await r.connect();
    const text = await r.info('cpu');
    const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
    return Math.round((field('used_cpu_user') + field('used_cpu_sys')) * 1e6);
  } finally {
    r.disconnect();
  }
}
