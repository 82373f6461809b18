import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LABELS, evaluatorContainerName, pinnedImageRef, predictionsVolumeName } from '@modelrun/contracts';
import type { OutputCaps } from './archive';
import { CONFLICT, NOT_FOUND, daemonMessage, infrastructure, statusOf } from './docker-errors';
import { ModelFault } from './errors';
import { type EvaluationSpec, evaluatorContainerSpec } from './evaluator-sandbox';
import type { ImagePuller } from './image-pulls';
import type { ContainerHandle, EvaluationOptions, KeptPredictions } from './model-runner';
import { readPredictions } from './predictions';
import { type KeeperImage, holdOutput, outputSize, releaseOutput } from './output-hold';
import { OUTPUT_DIR, type SandboxPolicy, outputOf } from './sandbox';

export interface EvaluationDeps {
  docker: Docker;
  deployment: string;
  policy: SandboxPolicy;
  output: OutputCaps;
  /** Finds a run's container by name (adopted), or undefined. */
  find(name: string, runId: string): Promise<ContainerHandle | undefined>;
  /** The same, for the run's current owner only: a container made under an older fence is removed instead. */
  findOwned(name: string, spec: Pick<EvaluationSpec, 'runId' | 'owner'>): Promise<ContainerHandle | undefined>;
  remove(handle: Pick<ContainerHandle, 'id'>): Promise<void>;
  /** The engine's pulls (with the registry credentials), shared with the runs' model images. */
  images: ImagePuller;
  /** The image of the keepers that hold output volumes (output-keeper.ts). */
  keeper: KeeperImage;
}

/** The helper container that fills a predictions volume: created, never started. */
const fillerName = (deployment: string, runId: string): string => `${deployment}-fill-${runId}`;

/**
 * A benchmark run's evaluator container, adopted or new. A new one is made in an order that a
 * crash at any point can resume: a fresh predictions volume (any earlier partial one is
 * dropped), filled through a never-started helper container, then the evaluator's container,
 * which exists only once its predictions are complete. So an evaluator container, when found,
 * is always safe to adopt.
 */
export async function prepareEvaluation(deps: EvaluationDeps, spec: EvaluationSpec, model: ContainerHandle | KeptPredictions, opts: EvaluationOptions = {}): Promise<ContainerHandle> {
  const existing = await deps.findOwned(evaluatorContainerName(deps.deployment, spec.runId), spec);
  if (existing) return existing;
  const image = pinnedImageRef(spec.image);
  // The evaluator image is the operator's: a missing one is the platform's fault, retried, never the model's.
  await deps.images.ensure(image).catch((err: unknown) => {
    throw err instanceof ModelFault ? infrastructure(`get the evaluator image ${image}`, err) : err;
  });
  await checkReference(deps.docker, spec);
  // A re-score brings the run's kept predictions; a run's first scoring reads its model's output.
  const predictions = 'predictions' in model ? model.predictions : await readModelOutput(deps, model);
  await fillPredictionsVolume(deps, spec, image, predictions);
  // Kept before the evaluator exists: an evaluator found by a later delivery had its predictions kept.
  await opts.keepPredictions?.(predictions);
  const size = await outputSize(deps.keeper, deps.output);
  const create = evaluatorContainerSpec(deps.deployment, spec, image, deps.policy, size);
  // The evaluator's output is capped as the model's: its volume is held before the container exists.
  const name = evaluatorContainerName(deps.deployment, spec.runId);
  await holdOutput(deps.docker, deps.keeper, outputOf({ deployment: deps.deployment, runId: spec.runId, output: size }, name), create.Labels);
  try {
    const { id } = await deps.docker.createContainer(create);
    return { id, runId: spec.runId, adopted: false, state: 'created' };
  } catch (err) {
    if (statusOf(err) === CONFLICT) {
      const raced = await deps.find(evaluatorContainerName(deps.deployment, spec.runId), spec.runId);
      if (raced) return raced;
    }
    throw infrastructure('create the evaluator container', err);
  }
}

/** Docker would make an empty volume for a missing name: the evaluator must never score against nothing. */
async function checkReference(docker: Docker, spec: EvaluationSpec): Promise<void> {
  if (!('volume' in spec.reference)) return;
  try {
    await docker.getVolume(spec.reference.volume).inspect();
  } catch (err) {
    throw infrastructure(`find the reference volume ${spec.reference.volume} of benchmark ${spec.benchmark} (create it on every worker host)`, err);
  }
}

async function readModelOutput(deps: EvaluationDeps, model: ContainerHandle): Promise<Buffer> {
  let stream: Readable;
  try {
    stream = (await deps.docker.getContainer(model.id).getArchive({ path: OUTPUT_DIR })) as unknown as Readable;
  } catch (err) {
    if (statusOf(err) === NOT_FOUND) throw new ModelFault('bad_output', `${OUTPUT_DIR} is missing from the model's container`);
    throw infrastructure("copy the model's output folder", err);
  }
  const read = await readPredictions(stream, deps.output).catch((err: unknown) => {
    throw infrastructure("read the model's output folder", err);
  });
  if (read.problem !== undefined) throw new ModelFault('bad_output', read.problem);
  return read.tar;
}

async function fillPredictionsVolume(deps: EvaluationDeps, spec: EvaluationSpec, image: string, tarball: Buffer): Promise<void> {
  const { docker, deployment } = deps;
  const volume = predictionsVolumeName(deployment, spec.runId);
  const filler = fillerName(deployment, spec.runId);
  await removeQuietly(deps, filler);
  await removeVolume(docker, volume);
  const labels = { [LABELS.managed]: 'true', [LABELS.deployment]: deployment, [LABELS.runId]: spec.runId, [LABELS.step]: 'predictions' };
  try {
    await docker.createVolume({ Name: volume, Labels: labels });
    const helper = await docker.createContainer({
      name: filler,
      Image: image,
      Labels: { ...labels, [LABELS.timeoutSeconds]: String(spec.limits.timeoutSeconds) },
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: '/predictions' }], CapDrop: ['ALL'] },
    });
    // Docker copies into a created container's volumes without starting it: nothing runs here.
    await helper.putArchive(tarball, { path: '/predictions' });
    await helper.remove({ force: true });
  } catch (err) {
    throw infrastructure('fill the predictions volume', err);
  }
}

async function removeQuietly(deps: EvaluationDeps, name: string): Promise<void> {
  const found = await deps.find(name, '');
  if (found) await deps.remove(found);
}

/** Removes a predictions volume; a missing one is not an error. */
export async function removeVolume(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (err) {
    if (statusOf(err) === NOT_FOUND) return;
    throw infrastructure(`remove volume ${name}: ${daemonMessage(err)}`, err);
  }
}

/** The evaluator container, its predictions volume and any half-done helper of a run. */
export async function removeEvaluation(deps: EvaluationDeps, runId: string): Promise<void> {
  for (const name of [evaluatorContainerName(deps.deployment, runId), fillerName(deps.deployment, runId)]) await removeQuietly(deps, name);
  // A keeper whose evaluator was never created (a crash between the two) is not found by name above.
  await releaseOutput(deps.docker, evaluatorContainerName(deps.deployment, runId));
  await removeVolume(deps.docker, predictionsVolumeName(deps.deployment, runId));
}

export async function listPredictionVolumes(docker: Docker, deployment: string): Promise<{ name: string; runId: string }[]> {
  try {
    const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.deployment}=${deployment}`, `${LABELS.step}=predictions`] } });
    return (Volumes ?? []).map((v) => ({ name: v.Name, runId: v.Labels?.[LABELS.runId] ?? '' }));
  } catch (err) {
    throw infrastructure('list volumes', err);
  }
}
