import { DelayedError } from 'bullmq';
import { OwnedElsewhereError, type RunOwner, handBackDelayMs, sameOwner, takeoverMessage } from '@modelrun/run-control';
import type { AdmittedRun, ProcessorDeps, RunContext } from './context';

/**
 * Makes this host the run's owner before any container: a run is in one host's containers at a
 * time. A run another host owns while that host's lease is alive goes back to the queue for a
 * short while (to be picked up by a worker of its own host), without a container here. A run
 * whose host's lease lapsed is taken over, and the takeover is kept as an attempt error.
 */
export async function claimRun(deps: ProcessorDeps, ctx: RunContext, token: string | undefined): Promise<RunOwner> {
  const { job, run, log } = ctx;
  const claim = await deps.ownership.claim(run.id, deps.hostId);
  switch (claim.kind) {
    case 'new':
    case 'mine':
      return claim.owner;
    case 'taken':
      log.warn('took over a run whose host was lost', { from: claim.from, fence: claim.owner.fence });
      deps.observer?.tookOver?.();
      await deps.control.recordAttemptError(run.id, { attempt: ctx.attempt, at: new Date().toISOString(), message: takeoverMessage(claim.from, deps.hostId), host: claim.from }).catch(() => undefined);
      return claim.owner;
    case 'elsewhere': {
      const delay = handBackDelayMs(claim.leaseMs);
      log.info('run is owned by another host whose lease is alive; handed back to the queue', { owner: claim.owner.host, leaseMs: claim.leaseMs, delayMs: delay });
      deps.observer?.handedToOwner?.();
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    }
  }
}

/** Throws OwnedElsewhereError unless this delivery's owner still owns the run (checked before recording). */
export async function assertOwner(deps: ProcessorDeps, ctx: AdmittedRun): Promise<void> {
  const { claim } = ctx;
  const current = await deps.ownership.owner(ctx.run.id);
  if (sameOwner(current, claim.owner)) return;
  if (current === undefined) {
    // No owner at all: the claim itself was lost (a Redis failover drops writes the old primary
    // acknowledged), not taken. Claim again; only another host's claim in between fences this
    // delivery out. Taking "none" for "elsewhere" threw a finished result away, and the run's
    // redelivery ran the model a second time.
    const again = await deps.ownership.claim(ctx.run.id, deps.hostId);
    if (again.kind === 'new' || again.kind === 'mine') {
      ctx.log.warn('run had lost its owner record; claimed it again', { fence: again.owner.fence });
      claim.owner = again.owner;
      return;
    }
  }
  throw new OwnedElsewhereError(ctx.run.id, claim.owner, current);
}

/**
 * The OwnedElsewhereError for this delivery if its host or fence no longer owns the run, else
 * undefined. Redis unreachable counts as still owning: the fault is then handled as any other.
 */
export async function lostOwnership(deps: ProcessorDeps, ctx: AdmittedRun): Promise<OwnedElsewhereError | undefined> {
  const { owner } = ctx.claim;
  const current = await deps.ownership.owner(ctx.run.id).catch(() => owner);
  return sameOwner(current, owner) ? undefined : new OwnedElsewhereError(ctx.run.id, owner, current);
}
