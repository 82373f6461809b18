import type { Redis } from 'ioredis';

/** Calls per command since the last CONFIG RESETSTAT, from INFO commandstats (commands run inside Lua scripts count too). */
export async function commandCalls(conn: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const m of (await conn.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
  return calls;
}
