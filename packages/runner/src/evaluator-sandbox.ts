import type Docker from 'dockerode';
import { type AppliedLimits, LABELS, type ReferenceData, evaluatorContainerName, predictionsVolumeName } from '@modelrun/contracts';
import { outputMount } from './output-volume';
import { type ContainerInput, OUTPUT_DIR, type SandboxPolicy, containerSpec, outputOf } from './sandbox';

/** Where the evaluator finds the model's output (read-only). */
export const PREDICTIONS_DIR = '/input/predictions';
/** Where the evaluator finds the benchmark's hidden reference data (read-only). */
export const REFERENCE_DIR = '/input/reference';

/** What the evaluator step of a benchmark run is given; all of it from the worker's own BENCHMARKS_FILE, never from the job. */
export interface EvaluationSpec {
  runId: string;
  /** The model's name (for the evaluator's environment and labels). */
  name: string;
  benchmark: string;
  /** The evaluator image, trusted: the operator named it. */
  image: string;
  limits: AppliedLimits;
  reference: ReferenceData;
  /** The run's owner (host and fence), kept as labels like the model container's. */
  owner?: { host: string; fence: number };
  /** GPU device ids, from the run's own (an evaluator that asks for GPUs). */
  gpuDevices?: string[];
  /** The evaluator's engine runtime (its benchmark's `runtime.evaluator`); RUN_RUNTIME (or the engine's default) when unset. */
  runtime?: string;
}

/**
 * The evaluator's container: the model's sandbox (no network, read-only root, no capabilities,
 * the same caps), plus two read-only inputs: the predictions volume and the reference data.
 * The reference may be a host folder because the operator, not a submitter, named it.
 */
export function evaluatorContainerSpec(deployment: string, spec: EvaluationSpec, image: string, policy: SandboxPolicy, output: ContainerInput['output']): Docker.ContainerCreateOptions {
  const input = {
    deployment,
    runId: spec.runId,
    name: spec.name,
    image,
    limits: spec.limits,
    policy: spec.runtime ? { ...policy, runtime: spec.runtime } : policy,
    output,
    ...(spec.owner && { owner: spec.owner }),
    ...(spec.gpuDevices && { gpuDevices: spec.gpuDevices }),
  };
  const base = containerSpec(input);
  const host = base.HostConfig!;
  const reference: Docker.MountSettings =
    'volume' in spec.reference
      ? { Type: 'volume', Source: spec.reference.volume, Target: REFERENCE_DIR, ReadOnly: true }
      : { Type: 'bind', Source: spec.reference.hostPath, Target: REFERENCE_DIR, ReadOnly: true };
  return {
    ...base,
    name: evaluatorContainerName(deployment, spec.runId),
    Env: [`OUTPUT_DIR=${OUTPUT_DIR}`, `PREDICTIONS_DIR=${PREDICTIONS_DIR}`, `REFERENCE_DIR=${REFERENCE_DIR}`, `BENCHMARK=${spec.benchmark}`, `MODEL_NAME=${spec.name}`, `RUN_ID=${spec.runId}`],
    Labels: { ...base.Labels, [LABELS.step]: 'evaluator' },
    HostConfig: {
      ...host,
      Mounts: [
        // Its own output volume, capped as the model's, held by its own keeper.
        outputMount(outputOf(input, evaluatorContainerName(deployment, spec.runId)), OUTPUT_DIR),
        { Type: 'volume', Source: predictionsVolumeName(deployment, spec.runId), Target: PREDICTIONS_DIR, ReadOnly: true },
        reference,
      ],
    },
  };
}
