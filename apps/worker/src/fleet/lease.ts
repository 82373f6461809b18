import { type Logger, errorFields } from '@modelrun/logger';
import type { RunOwnership } from '@modelrun/run-control';

export interface HostLease {
  /** Stops renewing. The lease is left to lapse: the host's containers may outlive this worker. */
  stop(): void;
  /** Renews now (start-up waits for it, so a fresh worker's host counts as alive at once). */
  renewNow(): Promise<void>;
  /**
   * Calls `fn` when this worker renews after a whole lease period without a renewal (cut off
   * from Redis, or frozen): the host may have been taken for lost and its runs taken over, so
   * its containers of those runs must go at once, not at the next reconcile.
   */
  whenLapsed(fn: () => void): void;
  /** When this worker last renewed the lease (ms since the epoch): the fleet view's lease age. */
  lastRenewedAt(): number;
}

/**
 * Why this host should stop renewing its lease even though its worker reaches Redis (its engine
 * has been unreachable a whole lease: its runs are better taken over than waited for), or undefined.
 */
export type GivingUp = (leaseMs: number) => string | undefined;

/**
 * Keeps this host's lease alive: every worker process of a host renews the same key three times
 * per lease period, so the lease lapses only when no worker of the host has reached Redis for a
 * whole period (the host is lost, or all its workers are down longer than a deploy takes).
 */
export function keepHostLease(ownership: RunOwnership, host: string, leaseSeconds: number, log: Logger, givingUp: GivingUp = () => undefined): HostLease {
  const leaseMs = leaseSeconds * 1000;
  let failing = false;
  let givenUp = false;
  let lastRenewed = Date.now();
  let onLapse: () => void = () => undefined;
  const renewNow = async (): Promise<void> => {
    const why = givingUp(leaseMs);
    if (why) {
      if (!givenUp) log.warn('letting the host lease lapse: other hosts take over its runs', { host, why });
      givenUp = true;
      return;
    }
    givenUp = false;
    try {
      await ownership.renewLease(host, leaseMs);
      if (failing) log.info('host lease renewed again', { host });
      failing = false;
      const gapMs = Date.now() - lastRenewed;
      lastRenewed = Date.now();
      if (gapMs >= leaseMs) {
        log.warn('this worker went a whole lease without renewing it; runs of this host may have been taken over', { host, gapMs });
        onLapse();
      }
    } catch (err) {
      if (!failing) log.warn('could not renew the host lease', { host, ...errorFields(err) });
      failing = true;
    }
  };
  const timer = setInterval(() => void renewNow(), Math.max(500, Math.floor(leaseMs / 3)));
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    renewNow,
    whenLapsed: (fn) => {
      onLapse = fn;
    },
    lastRenewedAt: () => lastRenewed,
  };
}
