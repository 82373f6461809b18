import { Command, Option } from 'commander';
import { ConfigError, type WorkerConfig, loadWorkerConfig } from '@modelrun/config';
import { ModelName, parseImageRef, resolveLimits } from '@modelrun/contracts';
import { createDockerRunner } from '@modelrun/runner';
import type { CliDeps } from '../cli-deps';
import { CliError, EXIT, usageError } from '../errors';
import { LIMIT_FLAGS, type LimitFlags, limitsFromFlags } from '../limits-flags';
import { exitStatus, formatReport } from '../validate/report';
import { validateImage } from '../validate/validate';

/** Labels and names this command's containers apart from any worker's (their queue prefix). */
const DEPLOYMENT = 'modelrun-validate';

interface ValidateOptions extends LimitFlags {
  name: string;
  follow?: boolean;
}

/**
 * `modelrun validate IMAGE`: runs the image once, on this machine's Docker, under the worker's own
 * sandbox and rules, and says whether it keeps the model contract. Needs no API.
 */
export function validateCommand(deps: CliDeps): Command {
  const cmd = new Command('validate')
    .description("run a model image once on this machine's Docker, in the worker's sandbox, and say whether it keeps the model contract (exit 0 yes, 1 no)")
    .argument('<image>', 'the model image')
    .option('--name <name>', 'MODEL_NAME given to the model', 'validate')
    .option('--follow', "stream the model's output to stderr while it runs");
  for (const [flag, { help }] of Object.entries(LIMIT_FLAGS)) cmd.addOption(new Option(`--${flag} <n>`, `${help} (default: the worker's RUN_* settings)`));
  cmd.addHelpText('after', '\nThe sandbox, defaults and ceilings are read from the same variables as the worker (RUN_*, DOCKER_HOST).');
  return cmd.action(async (image: string, opts: ValidateOptions) => {
    deps.result.code = await validate(deps, image, opts);
  });
}

async function validate(deps: CliDeps, image: string, opts: ValidateOptions): Promise<number> {
  let config: WorkerConfig;
  try {
    // The worker's own settings, so the sandbox and the defaults here are those of a worker
    // started in the same environment.
    config = loadWorkerConfig(deps.env);
  } catch (err) {
    if (err instanceof ConfigError) throw usageError(err.message);
    throw err;
  }
  if (!parseImageRef(image)) throw usageError(`${image} is not a valid image reference (e.g. registry.example/team/model:1.0)`);
  const limits = resolveLimits(limitsFromFlags(opts), config.limits);
  if (!limits.ok) throw usageError(`${limits.message} (the API would refuse this request too)`);
  const name = ModelName.safeParse(opts.name);
  if (!name.success) throw usageError(`--name: ${name.error.issues[0]!.message}`);

  const runner = createDockerRunner({ dockerHost: config.dockerHost, deployment: DEPLOYMENT, sandbox: config.sandbox });
  const note = (line: string): boolean => deps.term.err.write(`validate: ${line}\n`);
  deps.signal.addEventListener('abort', () => note('interrupted; stopping and removing the container (Ctrl-C again to leave at once)'), { once: true });
  try {
    await runner.ping();
    const result = await validateImage(runner, {
      image,
      name: name.data,
      limits: limits.limits,
      deployment: DEPLOYMENT,
      cancel: deps.signal,
      onPhase: (phase, detail) => {
        if (phase === 'preparing') note(`preparing ${image} (pulled if it is not on this host)`);
        if (phase === 'running') note(`running as ${detail}, up to ${limits.limits.timeoutSeconds} s${opts.follow ? '' : ' (--follow shows its output live)'}`);
      },
      ...(opts.follow && { onOutput: (chunk: Buffer) => deps.term.err.write(chunk) }),
    });
    deps.term.out.write(formatReport(result, config.sandbox));
    return exitStatus(result);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`the check could not be made: ${(err as Error).message}`, EXIT.unavailable, 'docker');
  }
}
