import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';

/**
 * The package's Redis scripts, each a .lua file in commands/ beside this one (the build copies
 * them next to the compiled code), as BullMQ keeps its own. Read once; each connection defines
 * them once (ioredis defineCommand), then runs them by their SHA, sending the script itself only
 * to a Redis that does not have it cached yet.
 */
const COMMANDS = {
  claimRun: { file: 'claim-run.lua', keys: 3 },
  renewLease: { file: 'renew-lease.lua', keys: 1 },
  reserveQuota: { file: 'reserve-quota.lua', keys: 2 },
  notePendingError: { file: 'note-pending-error.lua', keys: 1 },
  releaseIdempotencyKey: { file: 'release-idempotency-key.lua', keys: 1 },
  fairShareEnter: { file: 'fair-share-enter.lua', keys: 4 },
  fairShareLeave: { file: 'fair-share-leave.lua', keys: 1 },
} as const;

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

type Callable = Record<string, ((...args: (string | number)[]) => Promise<unknown>) | undefined>;

/** Runs one of the scripts: `keys` as KEYS (as many as the script takes), `args` as ARGV. */
export async function runCommand(redis: Redis, name: CommandName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const callable = redis as unknown as Callable;
  if (typeof callable[name] !== 'function') {
    redis.defineCommand(name, { numberOfKeys: COMMANDS[name].keys, lua: source(name) });
    // With auto-pipelining, a pipeline ioredis opened earlier in this tick was made without the
    // new command ("pipeline[functionName] is not a function"): the first call waits for it to go.
    if (redis.options.enableAutoPipelining) await new Promise((resolve) => setImmediate(resolve));
  }
  return callable[name]!(...keys, ...args);
}
