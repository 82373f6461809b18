import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { type OutputContents, readOutputArchive } from './archive';
import { NOT_FOUND, daemonMessage, infrastructure, statusOf } from './docker-errors';
import { ModelFault } from './errors';
import { OUTPUT_DIR } from './sandbox';

/**
 * @returns the image's id, pulling it first if the engine does not have it. Any pull failure
 * (no such repository, denied, registry unreachable) is the model's `image_not_found`.
 */
export async function ensureImage(docker: Docker, image: string): Promise<string> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (err) {
    if (statusOf(err) !== NOT_FOUND) throw infrastructure('inspect the image', err);
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (err) {
    if (statusOf(err) === undefined) throw infrastructure('pull the image', err);
    throw new ModelFault('image_not_found', `image ${image} is not on this host and could not be pulled: ${daemonMessage(err)}`);
  }
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null) => {
      if (err) reject(new ModelFault('image_not_found', `image ${image} could not be pulled: ${daemonMessage(err)}`));
      else resolve();
    });
  });
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (err) {
    throw infrastructure('inspect the pulled image', err);
  }
}

/** What a created container's /output holds before the model runs (what its image put there). */
export async function readNewOutput(docker: Docker, id: string): Promise<OutputContents> {
  try {
    const stream = (await docker.getContainer(id).getArchive({ path: OUTPUT_DIR })) as unknown as Readable;
    return await readOutputArchive(stream, { totalBytes: Number.MAX_SAFE_INTEGER, maxEntries: 100 });
  } catch (err) {
    throw infrastructure('inspect the new output folder', err);
  }
}
