import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { runCommand } from './commands';

/** Who may have a container of a run: one host (engine) at a time, with a fencing number. */
export interface RunOwner {
  host: string;
  /** Goes up by one each time another host takes the run over; containers carry it as a label. */
  fence: number;
}

/**
 * What asking to own a run gave:
 * - `new`: nobody owned it; this host does now (fence 1).
 * - `mine`: this host owned it already (a redelivery, a retry, a hand-back): same fence.
 * - `elsewhere`: another host owns it and its lease is alive; `leaseMs` is what is left of it.
 * - `taken`: another host owned it but its lease lapsed; this host owns it now, fence bumped.
 */
export type Claim = { kind: 'new' | 'mine'; owner: RunOwner } | { kind: 'elsewhere'; owner: RunOwner; leaseMs: number } | { kind: 'taken'; owner: RunOwner; from: string };

/** An owner record outlives its run by this much, so a late redelivery still sees who had it. */
const OWNER_TTL_SECONDS = 30 * 24 * 3600;
const OWNER_LINGER_SECONDS = 24 * 3600;

// The scripts: commands/claim-run.lua (a compare-and-set over the owner and the lease that was
// read) and commands/renew-lease.lua.

type ClaimReply = [string, string, number, number];

/** Turns claim-run.lua's answer into a Claim; `changed` (the owner moved under us) is for the caller to retry. */
export function parseClaim(reply: ClaimReply, previous: string): Claim | 'changed' {
  const [kind, host, fence, leaseMs] = reply;
  const owner = { host, fence: Number(fence) };
  switch (kind) {
    case 'new':
    case 'mine':
      return { kind, owner };
    case 'elsewhere':
      return { kind, owner, leaseMs: Number(leaseMs) };
    case 'taken':
      // From itself: this host's lease lapsed since it claimed the run (see CLAIM).
      return { kind, owner, from: previous || host };
    case 'changed':
      return 'changed';
    default:
      throw new Error(`unexpected answer from the ownership script: ${String(kind)}`);
  }
}

/**
 * How long a run that another host owns waits before it is offered again: until just after the
 * owner's lease would lapse, but never long, since the owner's workers should have it back soon.
 */
export function handBackDelayMs(leaseMs: number): number {
  if (leaseMs < 0) return 1_000;
  return Math.min(Math.max(leaseMs + 100, 250), 1_000);
}

/** What a takeover leaves in the run's attempt errors. */
export function takeoverMessage(from: string, to: string): string {
  return `host ${from} was lost (its lease lapsed); the run was taken over by host ${to}`;
}

/** True when `owner` still owns the run as of `current` (same host, same fence). */
export function sameOwner(current: RunOwner | undefined, owner: RunOwner): boolean {
  return current !== undefined && current.host === owner.host && current.fence === owner.fence;
}

/**
 * Which host may have a container of a run, in Redis, and each host's lease. A host's workers
 * renew its lease; while it is alive nobody else may take the host's runs; once it lapses the
 * next host that asks takes the run over, with a higher fencing number.
 */
export class RunOwnership {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private runKey(runId: string): string {
    return `${this.prefix}:own:run:${runId}`;
  }

  private leaseKey(host: string): string {
    return `${this.prefix}:own:host:${host}`;
  }

  /** Keeps `host`'s lease alive for `ms` more (every worker of the host calls this); a lapsed one starts a new epoch. */
  async renewLease(host: string, ms: number): Promise<void> {
    await runCommand(this.redis, 'renewLease', [this.leaseKey(host)], [ms, `${Date.now()}-${randomBytes(4).toString('hex')}`]);
  }

  /** Milliseconds left of `host`'s lease (0 when it lapsed). */
  async leaseLeftMs(host: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.leaseKey(host)));
  }

  async owner(runId: string): Promise<RunOwner | undefined> {
    const [host, fence] = await this.redis.hmget(this.runKey(runId), 'host', 'fence');
    return host && fence ? { host, fence: Number(fence) } : undefined;
  }

  /** Asks for the run for `host`: see Claim. */
  async claim(runId: string, host: string): Promise<Claim> {
    // First as if no other host owned it: one round trip for a new run or this host's own. When
    // another host does, the answer names it, and the second call checks that host's lease.
    let seen = '';
    for (let i = 0; i < 10; i++) {
      const reply = (await runCommand(this.redis, 'claimRun', [this.runKey(runId), this.leaseKey(seen || host), this.leaseKey(host)], [host, seen, OWNER_TTL_SECONDS])) as ClaimReply;
      const claim = parseClaim(reply, seen);
      if (claim !== 'changed') return claim;
      seen = reply[1];
    }
    throw new Error(`the owner of run ${runId} kept changing while it was claimed`);
  }

  /** True while `owner` is still the run's owner: checked right before anything is recorded. */
  async holds(runId: string, owner: RunOwner): Promise<boolean> {
    return sameOwner(await this.owner(runId), owner);
  }

  /** The run is recorded: its owner lingers a day for late redeliveries and reconcilers, then goes. */
  async clear(runId: string): Promise<void> {
    await this.redis.expire(this.runKey(runId), OWNER_LINGER_SECONDS);
  }

  /** `clear` as part of a transaction of the caller's (RunControl.clear's, for one round trip per run). */
  clearIn(tx: ChainableCommander, runId: string): ChainableCommander {
    return tx.expire(this.runKey(runId), OWNER_LINGER_SECONDS);
  }
}

/** Thrown when a run turns out to be owned by another host (or a later fence) than this delivery's. */
export class OwnedElsewhereError extends Error {
  constructor(
    readonly runId: string,
    readonly mine: RunOwner,
    readonly current: RunOwner | undefined,
  ) {
    super(`run ${runId} is no longer owned by host ${mine.host} (fence ${mine.fence}); owner now: ${current ? `${current.host} (fence ${current.fence})` : 'none'}`);
    this.name = 'OwnedElsewhereError';
  }
}
