import { ConfigError, type WorkerConfig, loadWorkerConfig } from '@modelrun/config';
import { DockerRunner, createDocker } from '@modelrun/runner';
import { USAGE, parseValidateArgs } from './args';
import { exitStatus, formatReport } from './report';
import { validateImage } from './validate';

/** Labels and names this command's containers apart from any worker's (their queue prefix). */
const DEPLOYMENT = 'modelrun-validate';

function finish(code: number, text: string, stream: NodeJS.WriteStream = process.stdout): void {
  // Exit explicitly: the Docker client keeps connections alive. Exit after the write drains.
  stream.write(text, () => process.exit(code));
}

async function main(): Promise<void> {
  let config: WorkerConfig;
  try {
    // The worker's own settings (RUN_TIMEOUT_SECONDS, RUN_PIDS_LIMIT, DOCKER_HOST, ...), so the
    // sandbox and the defaults here are those of a worker started in the same environment.
    config = loadWorkerConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) return finish(2, `validate: ${err.message}\n`, process.stderr);
    throw err;
  }
  const parsed = parseValidateArgs(process.argv.slice(2), config.limits);
  if (!parsed.ok) return parsed.help ? finish(0, `${USAGE}\n`) : finish(2, `validate: ${parsed.message}\n(npm run validate -- --help lists the options)\n`, process.stderr);
  const { args } = parsed;

  const policy = { pidsLimit: config.sandbox.pidsLimit, tmpMb: config.sandbox.tmpMb, logMaxBytes: config.sandbox.logMaxBytes };
  const runner = new DockerRunner({
    docker: createDocker(config.dockerHost),
    deployment: DEPLOYMENT,
    policy,
    output: { totalBytes: config.sandbox.outputMaxBytes },
    stopGraceSeconds: config.sandbox.stopGraceSeconds,
  });
  const cancel = new AbortController();
  const interrupt = (): void => {
    if (cancel.signal.aborted) return finish(130, 'validate: interrupted again; leaving without removing the container\n', process.stderr);
    process.stderr.write('validate: interrupted; stopping and removing the container (Ctrl-C again to leave at once)\n');
    cancel.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  const note = (line: string): boolean => process.stderr.write(`validate: ${line}\n`);
  try {
    await runner.ping();
    const result = await validateImage(runner, {
      image: args.image,
      name: args.name,
      limits: args.limits,
      deployment: DEPLOYMENT,
      cancel: cancel.signal,
      onPhase: (phase, detail) => {
        if (phase === 'preparing') note(`preparing ${args.image} (pulled if it is not on this host)`);
        if (phase === 'running') note(`running as ${detail}, up to ${args.limits.timeoutSeconds} s${args.follow ? '' : ' (--follow shows its output live)'}`);
      },
      ...(args.follow && { onOutput: (chunk: Buffer) => process.stderr.write(chunk) }),
    });
    finish(exitStatus(result), formatReport(result, policy));
  } catch (err) {
    finish(2, `validate: the check could not be made: ${(err as Error).message}\n`, process.stderr);
  }
}

void main();
