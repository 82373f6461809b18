import { z } from 'zod';

/** Resources a run may use. Every run carries the limits that were actually applied. */
export const AppliedLimits = z.strictObject({
  timeoutSeconds: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  cpus: z.number().positive(),
  gpus: z.number().int().nonnegative(),
});
export type AppliedLimits = z.infer<typeof AppliedLimits>;

/** What a client may ask for; anything left out takes the configured default. */
export const RequestedLimits = z.strictObject({
  timeoutSeconds: z.number().int('must be a whole number of seconds').positive('must be positive').optional(),
  memoryMb: z.number().int('must be a whole number of MiB').min(16, 'must be at least 16').optional(),
  cpus: z.number().min(0.01, 'must be at least 0.01').optional(),
  gpus: z.number().int('must be a whole number').nonnegative('must not be negative').optional(),
});
export type RequestedLimits = z.infer<typeof RequestedLimits>;

/** Defaults and ceilings, from configuration (RUN_TIMEOUT_SECONDS, RUN_MEMORY_MB, ...). */
export interface LimitPolicy {
  defaults: AppliedLimits;
  ceilings: AppliedLimits;
}

/** A refusal names every limit over its ceiling: `message` all of them, `problems` one each. */
export type LimitsResult = { ok: true; limits: AppliedLimits } | { ok: false; message: string; problems: { path: string; message: string }[] };

const UNITS: Record<keyof AppliedLimits, string> = {
  timeoutSeconds: 's',
  memoryMb: ' MiB',
  cpus: ' CPUs',
  gpus: ' GPUs',
};

/** Fills in defaults and refuses (never clamps) a request over a ceiling, naming the ceiling. */
export function resolveLimits(requested: RequestedLimits | undefined, policy: LimitPolicy): LimitsResult {
  const limits = { ...policy.defaults, ...stripUndefined(requested ?? {}) };
  const problems: { path: string; message: string }[] = [];
  for (const key of Object.keys(UNITS) as (keyof AppliedLimits)[]) {
    const ceiling = policy.ceilings[key];
    if (limits[key] > ceiling) {
      const message = key === 'gpus' && ceiling === 0 ? 'GPUs are not enabled on this deployment (RUN_GPUS_MAX is 0)' : `${limits[key]} is over the ceiling of ${ceiling}${UNITS[key]}`;
      problems.push({ path: `limits.${key}`, message });
    }
  }
  if (problems.length) return { ok: false, message: problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems };
  return { ok: true, limits };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
