import { type EngineImage, KEEPER_REPOSITORY } from '@modelrun/runner';

/** The disk marks, in percent of the data root's file system: prune above `highPercent`, down to `lowPercent`. */
export interface DiskMarks {
  highPercent: number;
  lowPercent: number;
}

export interface DiskUsage {
  usedBytes: number;
  /** What the file system holds in all: used plus what is still free to ordinary users (as `df` counts). */
  sizeBytes: number;
}

export type KeptBecause = 'pinned' | 'needed' | 'in_use' | 'not_modelrun';

export interface PruneFacts {
  images: readonly EngineImage[];
  usage: DiskUsage;
  marks: DiskMarks;
  /** The images modelrun pulled or ran on this host: each reference with when a run last used it (ms), or when it was pulled. */
  tracked: ReadonlyMap<string, number>;
  /** References a waiting, pulling or running run needs. */
  needed: ReadonlySet<string>;
  /** References the operator pins (WORKER_KEEP_IMAGES). The output keeper's images are always kept. */
  pinned: ReadonlySet<string>;
}

export interface PruneChoice {
  /** Above the high mark: pruning is due. */
  due: boolean;
  /** What to remove, least recently used first, until the estimate is under the low mark. */
  remove: { image: EngineImage; lastUsedMs: number }[];
  /** Bytes to free to reach the low mark. */
  bytesToFree: number;
  /** The images not to remove, and why (modelrun's own images only, besides `not_modelrun`). */
  kept: { image: EngineImage; because: KeptBecause }[];
}

export function usedPercent(u: DiskUsage): number {
  return u.sizeBytes > 0 ? (100 * u.usedBytes) / u.sizeBytes : 0;
}

/**
 * Which images to remove to bring the engine's disk from above the high mark to the low one:
 * only images modelrun pulled or ran on this host, never one pinned, needed by a run or used by
 * a container, the one unused the longest first (by modelrun's record of its last use, else the
 * image's creation). Below the high mark, nothing. The bytes are estimates (a layer shared with
 * an image that stays frees nothing): the pruner measures again after each removal.
 */
export function choosePrunes(f: PruneFacts): PruneChoice {
  const due = usedPercent(f.usage) > f.marks.highPercent;
  const bytesToFree = Math.max(0, f.usage.usedBytes - (f.marks.lowPercent / 100) * f.usage.sizeBytes);
  const tracked = new Map([...f.tracked].flatMap(([ref, at]) => refKeys(ref).map((k) => [k, at] as const)));
  const needed = new Set([...f.needed].flatMap(refKeys));
  const pinned = new Set([...f.pinned].flatMap(refKeys));
  const kept: PruneChoice['kept'] = [];
  const candidates: PruneChoice['remove'] = [];
  for (const image of f.images) {
    const keys = image.refs.flatMap(refKeys);
    const has = (set: ReadonlySet<string> | ReadonlyMap<string, number>): boolean => keys.some((k) => set.has(k));
    if (image.refs.some((r) => r.startsWith(`${KEEPER_REPOSITORY}:`))) kept.push({ image, because: 'pinned' });
    else if (!has(tracked)) kept.push({ image, because: 'not_modelrun' });
    else if (has(pinned)) kept.push({ image, because: 'pinned' });
    else if (has(needed)) kept.push({ image, because: 'needed' });
    else if (image.containers > 0) kept.push({ image, because: 'in_use' });
    else {
      const used = keys.map((k) => tracked.get(k)).filter((t): t is number => t !== undefined && Number.isFinite(t));
      candidates.push({ image, lastUsedMs: used.length > 0 ? Math.max(...used) : image.createdMs });
    }
  }
  if (!due) return { due, remove: [], bytesToFree: 0, kept };
  candidates.sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  const remove: PruneChoice['remove'] = [];
  let freed = 0;
  for (const c of candidates) {
    if (freed >= bytesToFree) break;
    remove.push(c);
    freed += c.image.uniqueBytes;
  }
  return { due, remove, bytesToFree, kept };
}

/**
 * The forms under which a reference is compared: as written, `:latest` made explicit, without
 * Docker Hub's implied `docker.io/` and `library/`, and a `name:tag@digest` as `name@digest`
 * (the form the engine lists digests in).
 */
export function refKeys(ref: string): string[] {
  let r = ref.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
  const at = r.indexOf('@');
  if (at >= 0) {
    const name = r.slice(0, at);
    const slash = name.lastIndexOf('/');
    const colon = name.lastIndexOf(':');
    if (colon > slash) r = `${name.slice(0, colon)}${r.slice(at)}`;
  } else {
    const slash = r.lastIndexOf('/');
    if (r.lastIndexOf(':') <= slash) r = `${r}:latest`;
  }
  return r === ref ? [ref] : [ref, r];
}
