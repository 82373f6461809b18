import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';

/**
 * The package's Redis scripts, each a .lua file in commands/ beside this one (the build copies
 * them next to the compiled code), as BullMQ keeps its own. Read once, and run by their SHA
 * (runCommand). `keys`: how many KEYS the script takes, or 'each call' for one that takes as
 * many as it is given (a batch: so many keys per item).
 */
const COMMANDS = {
  claimRun: { file: 'claim-run.lua', keys: 3 },
  renewLease: { file: 'renew-lease.lua', keys: 1 },
  reserveQuota: { file: 'reserve-quota.lua', keys: 2 },
  notePendingError: { file: 'note-pending-error.lua', keys: 1 },
  releaseIdempotencyKey: { file: 'release-idempotency-key.lua', keys: 1 },
  fairShareEnter: { file: 'fair-share-enter.lua', keys: 'each call' },
  fairShareLeave: { file: 'fair-share-leave.lua', keys: 1 },
  selectRun: { file: 'select-run.lua', keys: 2 },
  countRescore: { file: 'count-rescore.lua', keys: 3 },
  releaseLock: { file: 'release-lock.lua', keys: 1 },
} as const satisfies Record<string, { file: string; keys: number | 'each call' }>;

export type CommandName = keyof typeof COMMANDS;

const sources = new Map<CommandName, string>();

function source(name: CommandName): string {
  let lua = sources.get(name);
  if (lua === undefined) {
    lua = readFileSync(join(__dirname, 'commands', COMMANDS[name].file), 'utf8');
    sources.set(name, lua);
  }
  return lua;
}

/** A script's SHA1: how Redis names it in its script cache (EVALSHA). */
const shas = new Map<CommandName, string>();

function shaOf(name: CommandName): string {
  let sha = shas.get(name);
  if (sha === undefined) {
    sha = createHash('sha1').update(source(name)).digest('hex');
    shas.set(name, sha);
  }
  return sha;
}

/**
 * Runs one of the scripts: `keys` as KEYS (as many as the script takes), `args` as ARGV. By its
 * SHA (EVALSHA), sending the script itself (EVAL) only to a Redis whose cache lacks it, as
 * ioredis's defineCommand does; but through commands every connection and every pipeline has.
 * A command defined on a connection is missing from an auto-pipeline opened before it
 * ("pipeline[functionName] is not a function"), and such a pipeline can wait several ticks
 * behind one in flight: concurrent submissions right after an API started were refused 503.
 */
export async function runCommand(redis: Redis, name: CommandName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const declared: number | 'each call' = COMMANDS[name].keys;
  const numberOfKeys = declared === 'each call' ? keys.length : declared;
  try {
    return await redis.evalsha(shaOf(name), numberOfKeys, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(source(name), numberOfKeys, ...keys, ...args);
  }
}
