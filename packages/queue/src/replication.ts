import type { Redis } from 'ioredis';

/** Fewer replicas than asked for confirmed a write in time. */
export class NotReplicatedError extends Error {
  constructor(
    readonly acknowledged: number,
    readonly wanted: number,
    timeoutMs: number,
  ) {
    super(`${acknowledged} of ${wanted} Redis replica${wanted > 1 ? 's' : ''} confirmed the write within ${timeoutMs} ms`);
    this.name = 'NotReplicatedError';
  }
}

/**
 * Replication is asynchronous: a write the primary acknowledged can be lost when a replica that
 * lacks it is promoted. WAIT blocks until `replicas` replicas hold every write this connection
 * made so far, which narrows that loss to writes nobody was told had succeeded.
 * Throws NotReplicatedError when fewer confirm within `timeoutMs`.
 */
export async function confirmReplicated(redis: Redis, replicas: number, timeoutMs: number): Promise<void> {
  const acknowledged = await redis.wait(replicas, timeoutMs);
  if (acknowledged < replicas) throw new NotReplicatedError(acknowledged, replicas, timeoutMs);
}
