import { createDocker } from './docker-client';
import { DockerRunner, type DockerRunnerOptions } from './docker-runner';

/** The sandbox settings a worker reads from its environment (the shape of WorkerConfig.sandbox). */
export interface SandboxSettings {
  /** RUN_PIDS_LIMIT */
  pidsLimit: number;
  /** RUN_TMP_MB */
  tmpMb: number;
  /** RUN_LOG_MAX_KB, in bytes */
  logMaxBytes: number;
  /** RUN_OUTPUT_MAX_MB, in bytes */
  outputMaxBytes: number;
  /** RUN_STOP_GRACE_SECONDS */
  stopGraceSeconds: number;
  /** RUN_RUNTIME: the engine's runtime for model containers (e.g. runsc); the engine's default when unset. */
  runtime?: string;
}

/**
 * The DockerRunner models run in, from a worker's settings: the worker and `modelrun validate`
 * build it here, so an image is checked in exactly the sandbox it will run in.
 */
export function createDockerRunner(settings: { dockerHost?: string | undefined; deployment: string; sandbox: SandboxSettings; credentials?: DockerRunnerOptions['credentials'] }): DockerRunner {
  const { sandbox } = settings;
  return new DockerRunner({
    docker: createDocker(settings.dockerHost),
    deployment: settings.deployment,
    policy: { pidsLimit: sandbox.pidsLimit, tmpMb: sandbox.tmpMb, logMaxBytes: sandbox.logMaxBytes, ...(sandbox.runtime && { runtime: sandbox.runtime }) },
    output: { totalBytes: sandbox.outputMaxBytes },
    stopGraceSeconds: sandbox.stopGraceSeconds,
    ...(settings.credentials && { credentials: settings.credentials }),
  });
}
