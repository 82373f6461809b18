import { statfs } from 'node:fs/promises';
import type { DiskUsage } from './prune-choice';

/**
 * How full the file system holding `path` is, as `df` shows it: used blocks against used plus
 * those free to ordinary users (the root-reserved blocks count as neither). The path is the
 * engine's data root, so the worker must see the engine's file system: it runs on the host, or
 * in a container that mounts the data root at the same path (docs/operations/disk.md).
 */
export async function diskUsage(path: string): Promise<DiskUsage> {
  const s = await statfs(path);
  const usedBytes = (s.blocks - s.bfree) * s.bsize;
  return { usedBytes, sizeBytes: usedBytes + s.bavail * s.bsize };
}
