/** The BullMQ queue runs go through. Producer (API) and consumer (worker) share it. */
export const RUN_QUEUE = 'runs';

/** Runs that ask for GPUs: only workers with WORKER_GPUS consume it, so a CPU-only worker never takes one. */
export const GPU_RUN_QUEUE = 'runs-gpu';

/** The queue a run goes to, by the GPUs it asks for. */
export function runQueueName(gpus: number): string {
  return gpus > 0 ? GPU_RUN_QUEUE : RUN_QUEUE;
}

/** The BullMQ job name of a run. */
export const RUN_JOB = 'run';

/** Default Redis key prefix; tests and side-by-side deployments set their own. */
export const DEFAULT_QUEUE_PREFIX = 'modelrun';

/** Labels put on every container the worker starts, so containers can be found and adopted. */
export const LABELS = {
  managed: 'io.modelrun.managed',
  runId: 'io.modelrun.run-id',
  model: 'io.modelrun.model',
  deployment: 'io.modelrun.deployment',
  timeoutSeconds: 'io.modelrun.timeout-seconds',
  /** The run's owner when the container was made (host and fencing number): see run ownership. */
  ownerHost: 'io.modelrun.owner-host',
  ownerFence: 'io.modelrun.owner-fence',
  /** `model` or `evaluator`: which step of a benchmark run a container (or volume) belongs to. */
  step: 'io.modelrun.step',
  /** The GPU device ids the container was given (comma-separated): held until the container is gone. */
  gpuDevices: 'io.modelrun.gpu-devices',
} as const;

/** A run's container is named after its run id: a second `create` for the same run fails with 409. */
export function containerName(deployment: string, runId: string): string {
  return `${deployment}-run-${runId}`;
}

/** A benchmark run's evaluator container: named per run, so a redelivery adopts it too. */
export function evaluatorContainerName(deployment: string, runId: string): string {
  return `${deployment}-eval-${runId}`;
}

/** The volume holding a benchmark run's predictions (the model's output), read-only in the evaluator. */
export function predictionsVolumeName(deployment: string, runId: string): string {
  return `${deployment}-pred-${runId}`;
}
