import type Docker from 'dockerode';
import { pinnedImageRef } from '@modelrun/contracts';
import { NOT_FOUND, infrastructure, statusOf } from './docker-errors';

/** The repository part of an image reference (`registry:5000/team/eval:1` → `registry:5000/team/eval`). */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

/**
 * A reference that names exactly the image `ref` resolved to: its repository's registry digest
 * (`repo@sha256:…`) when the engine has one, else the image id, which names its content on
 * this engine (an image built here and never pushed has no registry digest).
 */
export function identityOf(ref: string, imageId: string, repoDigests: readonly string[]): string {
  const repo = repositoryOf(pinnedImageRef(ref));
  return repoDigests.find((d) => d.startsWith(`${repo}@`)) ?? imageId;
}

/** The identity (identityOf) of the image a container was made from; undefined when the container is gone. */
export async function containerImageIdentity(docker: Docker, containerId: string, ref: string): Promise<string | undefined> {
  try {
    const imageId = (await docker.getContainer(containerId).inspect()).Image;
    const digests = (await docker.getImage(imageId).inspect()).RepoDigests ?? [];
    return identityOf(ref, imageId, digests);
  } catch (err) {
    if (statusOf(err) === NOT_FOUND) return undefined;
    throw infrastructure("inspect the container's image", err);
  }
}
