import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { PullProgress } from '@modelrun/contracts';
import { type OutputContents, readOutputArchive } from './archive';
import { NOT_FOUND, daemonMessage, infrastructure, statusOf } from './docker-errors';
import { classifyPullFailure } from './pull-failure';
import { type PullEvent, PullTracker } from './pull-progress';
import { type RegistryAuth, registryOf } from './registry-auth';
import { OUTPUT_DIR } from './sandbox';

export interface PullOptions {
  /** Credentials for the image's registry (X-Registry-Auth), asked for only when a pull is needed; never logged or kept. */
  credentials?: () => Promise<RegistryAuth | undefined>;
  /** Bytes pulled so far, as the engine reports them (called often: throttle it). */
  onProgress?: (progress: PullProgress) => void;
}

/**
 * @returns the image's id, pulling it first if the engine does not have it. A failed pull is
 * classified (classifyPullFailure): `image_not_found`, `registry_auth`, or infrastructure.
 */
export async function ensureImage(docker: Docker, image: string, opts: PullOptions = {}): Promise<string> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (err) {
    if (statusOf(err) !== NOT_FOUND) throw infrastructure('inspect the image', err);
  }
  const auth = await opts.credentials?.();
  const failure = (status: number | undefined, message: string): Error =>
    classifyPullFailure(image, { status, message, withCredentials: auth !== undefined, registry: registryOf(image) });
  let stream: NodeJS.ReadableStream;
  try {
    // dockerode sends authconfig as the X-Registry-Auth header and keeps it out of the URL.
    stream = await docker.pull(image, auth ? { authconfig: auth } : {});
  } catch (err) {
    if (statusOf(err) === undefined) throw infrastructure('pull the image', err);
    throw failure(statusOf(err), daemonMessage(err));
  }
  const tracker = new PullTracker();
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(failure(undefined, daemonMessage(err))) : resolve()),
      (event: PullEvent) => {
        const progress = tracker.update(event);
        if (progress) opts.onProgress?.(progress);
      },
    );
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
