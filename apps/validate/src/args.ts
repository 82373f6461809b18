import { parseArgs } from 'node:util';
import { type AppliedLimits, type LimitPolicy, ModelName, RequestedLimits, parseImageRef, resolveLimits } from '@modelrun/contracts';

export const USAGE = `usage: npm run validate -- <image> [options]

Runs a model image once, locally, in the same sandbox and under the same rules as the modelrun
worker, and says whether it keeps the model contract (model/README.md).

options:
  --timeout S    time limit in seconds          (default RUN_TIMEOUT_SECONDS, 600)
  --memory MB    memory limit in MiB, no swap   (default RUN_MEMORY_MB, 1024)
  --cpus N       CPUs, fractions allowed        (default RUN_CPUS, 1)
  --gpus N       NVIDIA GPUs (needs RUN_GPUS_MAX > 0 and the NVIDIA runtime)
  --name NAME    MODEL_NAME given to the model  (default validate)
  --follow       stream the model's output to stderr while it runs
  -h, --help     this text

exit status: 0 the contract holds, 1 it does not, 2 the check could not be made
(bad arguments, Docker not reachable), 130 interrupted.`;

export interface ValidateArgs {
  image: string;
  name: string;
  limits: AppliedLimits;
  follow: boolean;
}

export type ParsedArgs = { ok: true; args: ValidateArgs } | { ok: false; help: boolean; message: string };

const FLAGS = { timeout: 'timeoutSeconds', memory: 'memoryMb', cpus: 'cpus', gpus: 'gpus' } as const;

/**
 * Reads the command line. Limits go through the API's own schema and ceilings, so a request the
 * API would refuse is refused here too, with the same words.
 */
export function parseValidateArgs(argv: string[], policy: LimitPolicy): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        timeout: { type: 'string' },
        memory: { type: 'string' },
        cpus: { type: 'string' },
        gpus: { type: 'string' },
        name: { type: 'string' },
        follow: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, help: false, message: (err as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: false, help: true, message: '' };
  if (positionals.length !== 1) return { ok: false, help: false, message: positionals.length ? `one image at a time, got ${positionals.join(' ')}` : 'which image? give its reference' };
  const image = positionals[0]!;
  if (!parseImageRef(image)) return { ok: false, help: false, message: `${image} is not a valid image reference (e.g. registry.example/team/model:1.0)` };

  const requested: Record<string, number> = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const raw = values[flag as keyof typeof FLAGS];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) return { ok: false, help: false, message: `--${flag} ${raw}: not a number` };
    requested[key] = n;
  }
  const checked = RequestedLimits.safeParse(requested);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const flag = Object.entries(FLAGS).find(([, key]) => key === issue.path[0])?.[0] ?? String(issue.path[0]);
    return { ok: false, help: false, message: `--${flag}: ${issue.message}` };
  }
  const limits = resolveLimits(checked.data, policy);
  if (!limits.ok) return { ok: false, help: false, message: `${limits.message} (the API would refuse this request too)` };

  const name = ModelName.safeParse(values.name ?? 'validate');
  if (!name.success) return { ok: false, help: false, message: `--name: ${name.error.issues[0]!.message}` };
  return { ok: true, args: { image, name: name.data, limits: limits.limits, follow: values.follow === true } };
}
