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

/** Per connection: every script defined, and (with auto-pipelining) the pipeline of the tick that defined them gone. */
const defined = new WeakMap<Redis, Promise<void>>();

/**
 * Defines every script on a connection once. With auto-pipelining, a pipeline ioredis opened
 * earlier in the tick was made without the new commands ("pipeline[functionName] is not a
 * function"): every caller of that tick, not only the first, waits for it to go.
 */
function defineAll(redis: Redis): Promise<void> {
  let ready = defined.get(redis);
  if (!ready) {
    for (const name of Object.keys(COMMANDS) as CommandName[]) {
      if (typeof (redis as unknown as Callable)[name] !== 'function') redis.defineCommand(name, { numberOfKeys: COMMANDS[name].keys, lua: source(name) });
    }
    ready = redis.options.enableAutoPipelining ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve();
    defined.set(redis, ready);
  }
  return ready;
}

/** Runs one of the scripts: `keys` as KEYS (as many as the script takes), `args` as ARGV. */
export async function runCommand(redis: Redis, name: CommandName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  await defineAll(redis);
  return (redis as unknown as Callable)[name]!(...keys, ...args);
}
