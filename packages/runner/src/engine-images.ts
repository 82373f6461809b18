import type Docker from 'dockerode';
import { infrastructure } from './docker-errors';

/** Every output keeper image's repository (output-keeper.ts): the worker's own, never pruned. */
export const KEEPER_REPOSITORY = 'modelrun-output-keeper';

/** An image on the engine, as the engine's disk-usage report (`docker system df`) tells it. */
export interface EngineImage {
  id: string;
  /** Its tags (`repo:tag`) and digests (`repo@sha256:…`). */
  refs: string[];
  createdMs: number;
  /** Bytes only this image holds (its size less the layers it shares): about what removing it frees. */
  uniqueBytes: number;
  /** Containers made from it, running or not: the engine refuses to remove it while any exist. */
  containers: number;
}

export type RemoveOutcome = 'removed' | 'in_use' | 'gone';

interface DfImage {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  Containers: number;
}

/** What the image pruner asks of one engine: where its data lives, its images, and their removal. */
export class EngineImages {
  constructor(private readonly docker: Docker) {}

  /** The engine's data root (`DockerRootDir`: /var/lib/docker by default). */
  async dataRoot(): Promise<string> {
    const info = (await this.docker.info().catch((err: unknown) => {
      throw infrastructure("read the engine's data root", err);
    })) as { DockerRootDir?: string };
    return String(info.DockerRootDir ?? '/var/lib/docker');
  }

  async list(): Promise<EngineImage[]> {
    const df = (await this.docker.df().catch((err: unknown) => {
      throw infrastructure("read the engine's images", err);
    })) as { Images?: DfImage[] | null };
    return (df.Images ?? []).map((i) => ({
      id: i.Id,
      refs: [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])].filter((r) => !r.startsWith('<none>')),
      createdMs: i.Created * 1000,
      uniqueBytes: Math.max(0, i.Size - Math.max(0, i.SharedSize)),
      containers: Math.max(0, i.Containers),
    }));
  }

  /**
   * Removes the image: each of its tags (an image with several cannot be removed by id without
   * force), then the image itself. Never forced: an image a container uses stays (`in_use`).
   */
  async remove(image: EngineImage): Promise<RemoveOutcome> {
    try {
      for (const ref of image.refs.filter((r) => !r.includes('@'))) await this.docker.getImage(ref).remove();
      await this.docker
        .getImage(image.id)
        .remove()
        .catch((err: { statusCode?: number }) => {
          // Its last tag's removal took the image with it.
          if (err.statusCode !== 404) throw err;
        });
      return 'removed';
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 409) return 'in_use';
      if (status === 404) return 'gone';
      throw infrastructure('remove an image', err);
    }
  }
}
