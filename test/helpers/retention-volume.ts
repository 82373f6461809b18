import { runIdAt } from '@modelrun/contracts';
import type { KeptFile, PlanInput, RetentionKind } from '../../apps/api/src/services/retention-plan';
import { seeded } from './seeded-random';

const DAY_MS = 86_400_000;

export interface RetentionVolumeShape {
  runs: number;
  models: number;
  seed: number;
  /** Runs were created over this many days before `now` (default 730). */
  spanDays?: number;
  /** Finish times are rounded down to this (default 60 s): many runs finish "at once", and their ids break the tie. */
  tieMs?: number;
  /** Share of finished runs that are protected: standing on a board, pending re-score (default 0.1). */
  protectedShare?: number;
  /** Share of runs still live: not in `finishedAt`, half of them with no record yet (default 0.03). */
  liveShare?: number;
  /**
   * Days each kind has been kept so far: a file of a run finished longer ago is absent, as if
   * earlier passes had removed it (the steady state of hourly passes). Default: nothing was removed.
   */
  keptDays?: Partial<Record<RetentionKind, number>>;
  now?: number;
}

/**
 * What a retention pass would hand `planRetention` for a volume of `runs` runs across `models`
 * models (a few models hold most runs), without the volume: every run has a log, half are
 * benchmark runs with an evaluator log, predictions and details; files listed kind by kind as the
 * pass lists them. Settings are the caller's to set.
 */
export function retentionVolume(shape: RetentionVolumeShape): Omit<PlanInput, 'settings'> & { bytes: number } {
  const random = seeded(shape.seed);
  const now = shape.now ?? Date.parse('2027-01-31T00:00:00Z');
  const span = (shape.spanDays ?? 730) * DAY_MS;
  const tie = shape.tieMs ?? 60_000;
  const protectedShare = shape.protectedShare ?? 0.1;
  const liveShare = shape.liveShare ?? 0.03;
  const byKind: Record<RetentionKind, KeptFile[]> = { records: [], logs: [], predictions: [], details: [] };
  const finishedAt = new Map<string, number>();
  const protectedRuns = new Set<string>();
  let bytes = 0;
  const keptMs = Object.fromEntries(Object.entries(shape.keptDays ?? {}).map(([kind, days]) => [kind, days * DAY_MS])) as Partial<Record<RetentionKind, number>>;
  for (let i = 0; i < shape.runs; i++) {
    // Every model has a run; the rest go mostly to the first models.
    const model = `m${i < shape.models ? i : Math.floor(random() ** 3 * shape.models)}`;
    const created = now - Math.floor(random() * span);
    const id = runIdAt(created);
    const live = random() < liveShare;
    const finished = Math.floor((created + random() * 3_600_000) / tie) * tie;
    const isProtected = !live && random() < protectedShare;
    /** Whether earlier passes kept this kind of this run: a protected or live run keeps all; a record gone took the rest. */
    const kept = (kind: RetentionKind): boolean => live || isProtected || (now - finished <= (keptMs[kind] ?? Infinity) && now - finished <= (keptMs.records ?? Infinity));
    const add = (kind: RetentionKind, name: string, size: number): void => {
      if (!kept(kind)) return;
      byKind[kind].push({ kind, model, runId: id, path: `/v/${kind}/${model}/${name}`, bytes: size });
      bytes += size;
    };
    if (!live || random() < 0.5) add('records', `${id}.json`, 800 + Math.floor(random() * 2000));
    if (!live && kept('records')) finishedAt.set(id, finished);
    if (isProtected) protectedRuns.add(id);
    add('logs', `${id}.log`, Math.floor(random() * 4096));
    if (random() < 0.5) {
      add('logs', `${id}.evaluator.log`, Math.floor(random() * 2048));
      add('predictions', `${id}.tar`, 10_000 + Math.floor(random() * 1_000_000));
      add('details', `${id}.json`, 1000 + Math.floor(random() * 10_000));
    }
  }
  return { files: [...byKind.records, ...byKind.logs, ...byKind.predictions, ...byKind.details], finishedAt, protectedRuns, now, bytes };
}
