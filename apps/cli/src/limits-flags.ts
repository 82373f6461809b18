import { RequestedLimits } from '@modelrun/contracts';
import { usageError } from './errors';

/** The limit flags `submit` and `validate` share, and the request field each sets. */
export const LIMIT_FLAGS = {
  timeout: { key: 'timeoutSeconds', help: 'time limit in seconds' },
  memory: { key: 'memoryMb', help: 'memory limit in MiB (no swap)' },
  cpus: { key: 'cpus', help: 'CPUs, fractions allowed' },
  gpus: { key: 'gpus', help: 'NVIDIA GPUs (the deployment must allow them)' },
} as const;

export type LimitFlags = Partial<Record<keyof typeof LIMIT_FLAGS, string>> & { limits?: string };

/**
 * The limits asked for on the command line, checked with the API's own schema so a request the
 * API would refuse is refused here with the same words, naming the flag. `--limits` takes them
 * as JSON (`'{"timeoutSeconds": 120}'`); a single flag overrides the same field there.
 */
export function limitsFromFlags(flags: LimitFlags): RequestedLimits | undefined {
  let requested: Record<string, unknown> = {};
  if (flags.limits !== undefined) {
    try {
      requested = JSON.parse(flags.limits) as Record<string, unknown>;
    } catch {
      throw usageError(`--limits ${flags.limits}: not JSON (e.g. '{"timeoutSeconds": 120, "memoryMb": 512}')`);
    }
    if (typeof requested !== 'object' || requested === null || Array.isArray(requested)) throw usageError('--limits: must be a JSON object');
  }
  for (const [flag, { key }] of Object.entries(LIMIT_FLAGS)) {
    const raw = flags[flag as keyof typeof LIMIT_FLAGS];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw usageError(`--${flag} ${raw}: not a number`);
    requested[key] = n;
  }
  if (Object.keys(requested).length === 0) return undefined;
  const checked = RequestedLimits.safeParse(requested);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    const flag = Object.entries(LIMIT_FLAGS).find(([, f]) => f.key === field)?.[0];
    throw usageError(`${flag ? `--${flag}` : `--limits ${field}`}: ${issue.message}`);
  }
  return checked.data;
}
