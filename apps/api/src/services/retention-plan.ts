/**
 * What a retention pass removes (issue 19), as a pure choice over what the volume holds, so the
 * rules can be tested without a volume. The pass (retention.ts) lists the files, says which runs
 * are protected, and deletes what this returns.
 */
import { TimeSlices, sortInSlices } from './time-slices';

/** What the volume keeps of a run, in the order the size cap prunes them (RETENTION_MAX_MB). */
export const RETENTION_KINDS = ['predictions', 'logs', 'details', 'records'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** One file of a finished run on the volume. */
export interface KeptFile {
  kind: RetentionKind;
  model: string;
  runId: string;
  path: string;
  bytes: number;
}

export interface RetentionSettings {
  /** Days each kind is kept after its run finished; absent: for ever. */
  days: Partial<Record<RetentionKind, number>>;
  /** The most these kinds may hold together, in bytes; absent: no cap. */
  maxBytes?: number;
}

export interface PlanInput {
  settings: RetentionSettings;
  files: readonly KeptFile[];
  /**
   * When each run finished (ms since the epoch). A file whose run is not here is never removed:
   * a run with no record yet is live (its predictions and details are written before its record).
   */
  finishedAt: ReadonlyMap<string, number>;
  /** Runs that must keep everything: standing on a board, pending re-score, live. */
  protectedRuns: ReadonlySet<string>;
  now: number;
}

export interface PlannedRemoval extends KeptFile {
  why: 'age' | 'size';
}

const DAY_MS = 86_400_000;

/** Options of a plan's making. */
export interface PlanOptions {
  /**
   * The longest the plan runs on the event loop before it yields (default 10 ms); Infinity: all in
   * one go. Requests wait for a slice at most, not for the whole plan.
   */
  sliceMs?: number;
}

/** Maps the runs are spread over while planning (a power of two). */
const RUN_MAPS = 256;

/** A slice's length by default: a request waits this long at most for the plan. */
export const PLAN_SLICE_MS = 10;

/**
 * The files to remove, in the order to remove them:
 * 1. by age: a file whose run finished longer ago than its kind's days; a record removed so takes
 *    its run's other files with it (they would be unreachable: nothing lists a run without one);
 * 2. by size, while what is kept is over `maxBytes`: predictions, then logs, then details, then
 *    records, each kind oldest finished run first (a record again with its run's other files).
 * A run's record is listed after its other files, so a pass stopped half way never leaves files
 * of a run without its record (which would look live). Protected runs and runs that have not
 * finished lose nothing, even when that leaves the volume over the cap.
 *
 * The work is done in slices of `sliceMs` (TimeSlices), yielding to the event loop between them:
 * at a million runs, one synchronous go held every request of the API for over a second.
 */
export async function planRetention(input: PlanInput, options: PlanOptions = {}): Promise<PlannedRemoval[]> {
  const { settings, files, finishedAt, protectedRuns, now } = input;
  const slices = new TimeSlices(options.sliceMs ?? PLAN_SLICE_MS);
  // Files by run, with no array or object per run (a million of them kept the young generation
  // busy copying, in pauses longer than a slice): firstOf(runId).get(runId) is a run's first file,
  // next[i] the run's file after file i, -1 none. Built backwards, so each run's files come in file
  // order. The runs are spread over many maps: one map of a million runs held the loop 70 ms each
  // time it grew.
  const firsts = Array.from({ length: RUN_MAPS }, () => new Map<string, number>());
  const firstOf = (id: string): Map<string, number> => firsts[(id.charCodeAt(id.length - 1) * 31 + id.charCodeAt(id.length - 2)) & (RUN_MAPS - 1)]!;
  const next = new Int32Array(files.length);
  const runIds: string[] = [];
  await slices.range(files.length, (lo, hi) => {
    for (let i = files.length - 1 - lo; i > files.length - 1 - hi; i--) {
      const id = files[i]!.runId;
      const first = firstOf(id);
      const after = first.get(id);
      if (after === undefined) runIds.push(id);
      next[i] = after ?? -1;
      first.set(id, i);
    }
  });
  /** The paths that go, and what goes in the order it was chosen. */
  const removed = new Set<string>();
  const chosen: PlannedRemoval[] = [];
  /** Removes a file (a record with its run's other files). @returns the bytes that newly go. */
  const remove = (f: KeptFile, why: PlannedRemoval['why']): number => {
    if (removed.has(f.path)) return 0;
    let bytes = 0;
    if (f.kind === 'records')
      for (let i = firstOf(f.runId).get(f.runId) ?? -1; i !== -1; i = next[i]!) {
        const other = files[i]!;
        if (other.kind !== 'records' && !removed.has(other.path)) {
          removed.add(other.path);
          chosen.push({ ...other, why });
          bytes += other.bytes;
        }
      }
    removed.add(f.path);
    chosen.push({ ...f, why });
    return bytes + f.bytes;
  };
  // The runs that may lose files, oldest finished first; run ids are time-ordered, so they break
  // ties (which makes the order total: any correct sort, sliced or not, gives this one). Runs are
  // sorted, not files: a quarter of the comparisons. A run is a number here, k: its id ids[k],
  // finish at[k] and first file heads[k].
  const ids: string[] = [];
  const byAge: number[] = [];
  const at = new Float64Array(runIds.length);
  const heads = new Int32Array(runIds.length);
  await slices.range(runIds.length, (lo, hi) => {
    for (let n = lo; n < hi; n++) {
      const id = runIds[n]!;
      const finished = finishedAt.get(id);
      if (finished === undefined || protectedRuns.has(id)) continue;
      at[ids.length] = finished;
      heads[ids.length] = firstOf(id).get(id)!;
      byAge.push(ids.length);
      ids.push(id);
    }
  });
  const oldestFirst = await sortInSlices(byAge, (a, b) => at[a]! - at[b]! || (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0), slices);

  await slices.range(oldestFirst.length, (lo, hi) => {
    for (let n = lo; n < hi; n++) {
      const k = oldestFirst[n]!;
      for (let i = heads[k]!; i !== -1; i = next[i]!) {
        const file = files[i]!;
        const days = settings.days[file.kind];
        if (days !== undefined && now - at[k]! > days * DAY_MS) remove(file, 'age');
      }
    }
  });

  const { maxBytes } = settings;
  if (maxBytes !== undefined) {
    let kept = 0;
    await slices.range(files.length, (lo, hi) => {
      for (let i = lo; i < hi; i++) if (!removed.has(files[i]!.path)) kept += files[i]!.bytes;
    });
    for (const kind of RETENTION_KINDS)
      await slices.range(oldestFirst.length, (lo, hi) => {
        for (let n = lo; n < hi; n++) {
          if (kept <= maxBytes) return true;
          for (let i = heads[oldestFirst[n]!]!; i !== -1; i = next[i]!) if (files[i]!.kind === kind) kept -= remove(files[i]!, 'size');
        }
        return false;
      });
  }
  // Records last: see above.
  const plan: PlannedRemoval[] = [];
  const records: PlannedRemoval[] = [];
  await slices.range(chosen.length, (lo, hi) => {
    for (let i = lo; i < hi; i++) (chosen[i]!.kind === 'records' ? records : plan).push(chosen[i]!);
  });
  await slices.range(records.length, (lo, hi) => {
    for (let i = lo; i < hi; i++) plan.push(records[i]!);
  });
  return plan;
}
