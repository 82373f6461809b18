import type { Request } from 'express';

/**
 * Who is calling, as one key for what is capped per caller (log followers): the principal that
 * authentication set (a token's fingerprint or a user), else the address.
 */
export function callerKey(req: Request): string {
  return req.principal ?? `addr:${req.ip ?? 'unknown'}`;
}
