import type Docker from 'dockerode';
import { LABELS } from '@modelrun/contracts';
import type { OutputCaps } from './archive';
import { CONFLICT, NOT_FOUND, NOT_MODIFIED, daemonMessage, infrastructure, statusOf } from './docker-errors';
import { type OutputEngine, prepareOutputEngine } from './output-keeper';
import { type OutputOf, type OutputSize, keeperName, keeperSpec, outputVolumeName } from './output-volume';

/**
 * Makes a container's output volume (a sized tmpfs, output-volume.ts) and starts its keeper, or
 * finds them made by an earlier delivery of the run. Resolves once the volume is mounted and
 * held: the model's container may then be created (the engine copies the image's /output into
 * the volume) and may exit without taking its output with it.
 */
export async function holdOutput(docker: Docker, image: KeeperImage, output: OutputOf, labels?: Record<string, string>, again = true): Promise<void> {
  let keeper: Docker.Container;
  try {
    keeper = await docker.createContainer(keeperSpec(output, (await image.get()).image, labels));
  } catch (err) {
    // The image was removed from the engine (an image prune) since it was made: make it again.
    if (statusOf(err) === NOT_FOUND && again) {
      image.forget();
      return holdOutput(docker, image, output, labels, false);
    }
    if (statusOf(err) !== CONFLICT) throw infrastructure('create the output keeper', err);
    keeper = docker.getContainer(keeperName(output.container));
    // One made for an older fence of the run would be removed by the reconciler under the new one.
    if (again && (await fenceOf(keeper)) !== labels?.[LABELS.ownerFence]) {
      await releaseOutput(docker, output.container);
      return holdOutput(docker, image, output, labels, false);
    }
  }
  try {
    await keeper.start();
  } catch (err) {
    if (statusOf(err) === NOT_MODIFIED) return;
    // An earlier keeper of the run on its way out (the run's clean-up, a moment ago): once it is gone, a new one.
    if (again && statusOf(err) === CONFLICT && /removal/.test(daemonMessage(err))) {
      await keeper.wait({ condition: 'removed' }).catch(() => undefined);
      return holdOutput(docker, image, output, labels, false);
    }
    throw infrastructure('start the output keeper', err);
  }
}

async function fenceOf(keeper: Docker.Container): Promise<string | undefined> {
  try {
    return (await keeper.inspect()).Config.Labels?.[LABELS.ownerFence];
  } catch (err) {
    if (statusOf(err) === NOT_FOUND) return undefined;
    throw infrastructure('inspect the output keeper', err);
  }
}

/** Whether a container's output is held: its keeper is running. */
export async function outputHeld(docker: Docker, container: string): Promise<boolean> {
  try {
    return (await docker.getContainer(keeperName(container)).inspect()).State.Running === true;
  } catch (err) {
    if (statusOf(err) === NOT_FOUND) return false;
    throw infrastructure('inspect the output keeper', err);
  }
}

/**
 * Removes a container's keeper and output volume; missing ones are not an error. A volume that
 * its container still uses stays: removing that container releases it again.
 */
export async function releaseOutput(docker: Docker, container: string): Promise<void> {
  try {
    await docker.getContainer(keeperName(container)).remove({ force: true });
  } catch (err) {
    const gone = statusOf(err) === NOT_FOUND || (statusOf(err) === CONFLICT && /in progress/.test(daemonMessage(err)));
    if (!gone) throw infrastructure('remove the output keeper', err);
  }
  try {
    await docker.getVolume(outputVolumeName(container)).remove();
  } catch (err) {
    if (statusOf(err) !== NOT_FOUND && statusOf(err) !== CONFLICT) throw infrastructure('remove the output volume', err);
  }
}

/** An output volume's size and owner on this engine, from the output caps. */
export async function outputSize(keeper: KeeperImage, caps: Pick<OutputCaps, 'totalBytes' | 'maxEntries'>): Promise<OutputSize> {
  const { rootIds } = await keeper.get();
  return { totalBytes: caps.totalBytes, ...(caps.maxEntries !== undefined && { maxEntries: caps.maxEntries }), ...(rootIds && { rootIds }) };
}

/** The keeper image (and the engine's remapped root), made once per engine connection; a failure is tried again by the next run. */
export class KeeperImage {
  private made: Promise<OutputEngine> | undefined;

  constructor(private readonly docker: Docker) {}

  get(): Promise<OutputEngine> {
    const made = (this.made ??= prepareOutputEngine(this.docker));
    made.catch(() => {
      if (this.made === made) this.made = undefined;
    });
    return made;
  }

  forget(): void {
    this.made = undefined;
  }
}
