import { z } from 'zod';
import { parseRedisTarget } from './redis-target';

// Parsers for environment strings. Each one names what it expected, so a bad value reads plainly.

// Decimal digits only: Number() would also take "0x50", "1e3" and "" (as 0).
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A whole number from an environment string, within bounds. `what` names it for a value that is
 * not a number at all; `range` replaces the per-bound messages when one sentence says it better.
 */
export function integer(bounds: { min?: number; max?: number; what?: string; range?: string } = {}) {
  const below = bounds.range ?? (bounds.min === 1 ? 'must be positive' : bounds.min === 0 ? 'must not be negative' : `must be at least ${bounds.min}`);
  let n = z.number().int('must be a whole number');
  if (bounds.min !== undefined) n = n.min(bounds.min, below);
  if (bounds.max !== undefined) n = n.max(bounds.max, bounds.range ?? `must be at most ${bounds.max}`);
  return z
    .string()
    .trim()
    .regex(DECIMAL, `must be ${bounds.what ?? 'a number'}`)
    .transform(Number)
    .pipe(n);
}

/** A positive number (fractions allowed) from an environment string. */
export function positiveDecimal() {
  return z.string().trim().regex(DECIMAL, 'must be a number').transform(Number).pipe(z.number().positive('must be positive'));
}

export const port = integer({ min: 0, max: 65535, what: 'a port number', range: 'must be 0-65535' });
export const positiveInt = integer({ min: 1 });
export const nonNegativeInt = integer({ min: 0 });
export const positiveNumber = positiveDecimal();

export const bool = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

export const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** GPU device ids as the NVIDIA runtime names them (`0`, `GPU-<uuid>`, `MIG-<uuid>`), comma-separated, each once. */
export const deviceIds = list
  .refine((ids) => ids.every((id) => /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/.test(id)), 'must be device ids like 0,1 or GPU-<uuid>, comma-separated')
  .refine((ids) => new Set(ids).size === ids.length, 'names a device twice');

export const logLevel = z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']);

export const logFormat = z.enum(['json', 'pretty']);

/** REDIS_URL: one server, or a Sentinel-managed group (see parseRedisTarget). */
export const redisTarget = z.string().transform((v, ctx) => {
  try {
    return parseRedisTarget(v.trim());
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const dockerHost = z.string().refine((v) => /^(unix|tcp|http|https|ssh|npipe):\/\//.test(v), 'must be unix://, tcp://, http(s):// or ssh://');

/**
 * Express's `trust proxy`: `false` (none), `true` (any), a number of hops, or addresses, CIDR
 * ranges and Express's names (`loopback`, `uniquelocal`), comma-separated.
 */
export const trustProxy = z.string().transform((v): boolean | number | string[] => {
  const t = v.trim().toLowerCase();
  if (t === 'false' || t === '0') return false;
  if (t === 'true') return true;
  if (/^\d+$/.test(t)) return Number(t);
  return t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
});

/** Webhook endpoints: comma-separated http(s) URLs. */
export const webhookUrls = list.pipe(
  z.array(
    z.string().refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.username && !u.password;
      } catch {
        return false;
      }
    }, 'each must be an http:// or https:// URL without user:password@'),
  ),
);

/** A Standard Webhooks secret: `whsec_` then base64 of 24 to 64 bytes (the spec's bounds). */
export const webhookSecret = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(v);
    const size = m ? Buffer.from(m[1]!, 'base64').length : 0;
    if (!m) ctx.addIssue({ code: 'custom', message: 'must be whsec_ followed by base64 (e.g. whsec_$(openssl rand -base64 32))' });
    else if (size < 24 || size > 64) ctx.addIssue({ code: 'custom', message: `must hold 24 to 64 bytes once base64-decoded, not ${size}` });
  });
