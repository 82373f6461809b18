import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { type OutputContents, readOutputArchive } from './archive';
import { NOT_FOUND, daemonMessage, infrastructure, statusOf } from './docker-errors';
import { classifyPullFailure } from './pull-failure';
import { type PullEvent, PullTracker } from './pull-progress';
import { type RegistryAuth, registryOf } from './registry-auth';
import { OUTPUT_DIR } from './sandbox';

/** An image the engine has: its id and its size on disk. */
export interface LocalImage {
  id: string;
  size: number;
}

/** The image as the engine has it, or undefined when it has not. */
export async function inspectImage(docker: Docker, image: string): Promise<LocalImage | undefined> {
  try {
    const found = await docker.getImage(image).inspect();
    return { id: found.Id, size: found.Size };
  } catch (err) {
    if (statusOf(err) === NOT_FOUND) return undefined;
    throw infrastructure('inspect the image', err);
  }
}

export interface PullOptions {
  /** Credentials for the image's registry (X-Registry-Auth), asked for only when a pull starts; never logged or kept. */
  credentials?: () => Promise<RegistryAuth | undefined>;
  /** Each line of the engine's pull stream, added up; `progress` is set when the bytes changed. */
  onEvent?: (tracker: PullTracker, progress: ReturnType<PullTracker['update']>) => void;
  /** Aborting drops the pull's connection, which makes the engine stop the pull; rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Pulls an image once. A failed pull is classified (classifyPullFailure): `image_not_found`,
 * `registry_auth`, or infrastructure.
 * @returns the tracker that added up the pull's bytes (layers the host had count for nothing).
 */
export async function pullImage(docker: Docker, image: string, opts: PullOptions = {}): Promise<PullTracker> {
  const auth = await opts.credentials?.();
  const failure = (status: number | undefined, message: string): Error => classifyPullFailure(image, { status, message, withCredentials: auth !== undefined, registry: registryOf(image) });
  let stream: NodeJS.ReadableStream;
  try {
    // dockerode sends authconfig as the X-Registry-Auth header and keeps it out of the URL.
    stream = await docker.pull(image, auth ? { authconfig: auth } : {});
  } catch (err) {
    if (statusOf(err) === undefined) throw infrastructure('pull the image', err);
    throw failure(statusOf(err), daemonMessage(err));
  }
  const tracker = new PullTracker();
  const { signal } = opts;
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    // Settled first: followProgress takes the stream's close for a finished pull.
    const onAbort = (): void => {
      settle(signal?.reason ?? new Error('pull aborted'));
      (stream as Readable).destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    docker.modem.followProgress(
      stream,
      (err: Error | null) => settle(err ? failure(undefined, daemonMessage(err)) : undefined),
      (event: PullEvent) => opts.onEvent?.(tracker, tracker.update(event)),
    );
    if (signal?.aborted) onAbort();
  });
  return tracker;
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
