import type Docker from 'dockerode';
import { LABELS, containerName } from '@modelrun/contracts';
import type { RunSpec } from './model-runner';
import { type OutputOf, type OutputSize, outputMount } from './output-volume';

/** Where the model writes its score. Fixed: images written for the original design hard-code it. */
export const OUTPUT_DIR = '/output';

/** Sandbox settings that are not per-run limits (from RUN_PIDS_LIMIT, RUN_TMP_MB, ...). */
export interface SandboxPolicy {
  pidsLimit: number;
  tmpMb: number;
  logMaxBytes: number;
  /** The engine's runtime for the container (RUN_RUNTIME, e.g. runsc for gVisor); the engine's default when unset. */
  runtime?: string;
}

/** A run's container: the run, the deployment it belongs to, and the sandbox's settings. */
export interface ContainerInput extends RunSpec {
  deployment: string;
  policy: SandboxPolicy;
  /** The run's owner (host and fence) the container is made for, kept as labels. */
  owner?: { host: string; fence: number };
  /** A benchmark run's model is told which benchmark it predicts for (BENCHMARK). */
  benchmark?: string;
  /** The output folder's caps (RUN_OUTPUT_MAX_MB): its volume holds no more. */
  output: OutputSize;
}

/** The output volume of a run's model container. */
export function outputOf(input: Pick<ContainerInput, 'deployment' | 'runId' | 'output'>, container = containerName(input.deployment, input.runId)): OutputOf {
  return { container, deployment: input.deployment, runId: input.runId, caps: input.output };
}

/**
 * The container a run gets. Everything a model could use to reach the network, the host, the
 * Docker socket or other runs is off, and none of it can be loosened by a request: the only
 * inputs are a validated image reference, a validated name, and limits under their ceilings.
 */
export function containerSpec(input: ContainerInput): Docker.ContainerCreateOptions {
  const { limits, policy } = input;
  const memoryBytes = limits.memoryMb * 1024 * 1024;
  return {
    name: containerName(input.deployment, input.runId),
    Image: input.image,
    // The image's own entrypoint and command run; only the environment is ours.
    Env: [`OUTPUT_DIR=${OUTPUT_DIR}`, `MODEL_NAME=${input.name}`, `RUN_ID=${input.runId}`, ...(input.benchmark ? [`BENCHMARK=${input.benchmark}`] : [])],
    Labels: {
      [LABELS.managed]: 'true',
      [LABELS.runId]: input.runId,
      [LABELS.model]: input.name,
      [LABELS.deployment]: input.deployment,
      [LABELS.timeoutSeconds]: String(limits.timeoutSeconds),
      ...(input.owner && { [LABELS.ownerHost]: input.owner.host, [LABELS.ownerFence]: String(input.owner.fence) }),
      // The devices stay taken while the container exists: a worker (re)starting reads them here.
      ...(limits.gpus > 0 && { [LABELS.gpuDevices]: gpuDevices(input).join(',') }),
    },
    NetworkDisabled: true,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      // A sized tmpfs volume held by a keeper until the output is copied out (output-volume.ts).
      // Docker copies the image's own /output (owner and mode) into it, which is how an image that
      // runs as a non-root user makes /output writable; the worker refuses to start a run whose
      // /output is not empty.
      Mounts: [outputMount(outputOf(input), OUTPUT_DIR)],
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${policy.tmpMb}m` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      Privileged: false,
      PidsLimit: hostPidsLimit(policy),
      Memory: memoryBytes,
      // Same as Memory: no swap on top of it, so a memory hog is killed rather than thrashing.
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      // tini as PID 1 reaps zombies and forwards SIGTERM, so `stop` works on any image.
      Init: true,
      IpcMode: 'private',
      PidMode: '',
      UsernsMode: '',
      Devices: [],
      Binds: [],
      ...(limits.gpus > 0 && {
        // Devices by id, never by count: Docker turns a count into devices 0..N-1 for every container.
        DeviceRequests: [{ Driver: 'nvidia', Count: 0, DeviceIDs: gpuDevices(input), Capabilities: [['gpu']], Options: {} }],
      }),
      LogConfig: {
        Type: 'json-file',
        Config: { 'max-size': `${Math.max(64, Math.ceil(policy.logMaxBytes / 1024))}k`, 'max-file': '2' },
      },
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
      ...(policy.runtime && { Runtime: policy.runtime }),
    },
  };
}

/** Host threads of gVisor's own kernel (the Sentry) in a sandbox: 87 measured for a one-process model. */
const GVISOR_BASE_THREADS = 128;
/** Host threads per model process under gVisor's ptrace platform (the one without KVM): about 7.2 measured. */
const GVISOR_THREADS_PER_PROCESS = 8;

/**
 * The container's host pids limit. RUN_PIDS_LIMIT counts the model's processes; under gVisor
 * (a runtime registered as `runsc`) the host cgroup also holds gVisor's kernel and several host
 * threads per model process, and a sandbox that cannot make a thread dies ("error initializing
 * first thread: resource temporarily unavailable", exit 2) before the model starts.
 */
export function hostPidsLimit(policy: SandboxPolicy): number {
  const gvisor = policy.runtime === 'runsc' || policy.runtime?.startsWith('runsc-') === true;
  return gvisor ? GVISOR_BASE_THREADS + GVISOR_THREADS_PER_PROCESS * policy.pidsLimit : policy.pidsLimit;
}

/**
 * The run's GPU device ids. A worker always hands them out (WORKER_GPUS); without them (a
 * one-off `modelrun validate` on this host) the first N are used.
 */
function gpuDevices(input: ContainerInput): string[] {
  const n = input.limits.gpus;
  const ids = input.gpuDevices ?? Array.from({ length: n }, (_, i) => String(i));
  if (ids.length !== n) throw new Error(`run ${input.runId} asks for ${n} GPUs but was given ${ids.length} device ids`);
  return ids;
}
