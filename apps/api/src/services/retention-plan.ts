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
  const byRun = new Map<string, KeptFile[]>();
  /** byRun's keys, as an array to walk in slices. */
  const runIds: string[] = [];
  await slices.range(files.length, (lo, hi) => {
    for (let i = lo; i < hi; i++) {
      const f = files[i]!;
      const list = byRun.get(f.runId);
      if (list) list.push(f);
      else {
        byRun.set(f.runId, [f]);
        runIds.push(f.runId);
      }
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
      for (const other of byRun.get(f.runId) ?? [])
        if (other.kind !== 'records' && !removed.has(other.path)) {
          removed.add(other.path);
          chosen.push({ ...other, why });
          bytes += other.bytes;
        }
    removed.add(f.path);
    chosen.push({ ...f, why });
    return bytes + f.bytes;
  };
  // The runs that may lose files, oldest finished first; run ids are time-ordered, so they break
  // ties (which makes the order total: any correct sort, sliced or not, gives this one). Runs are
  // sorted, not files: a quarter of the comparisons, and no object per file.
  const candidates: { id: string; at: number }[] = [];
  await slices.range(runIds.length, (lo, hi) => {
    for (let i = lo; i < hi; i++) {
      const id = runIds[i]!;
      const at = finishedAt.get(id);
      if (at !== undefined && !protectedRuns.has(id)) candidates.push({ id, at });
    }
  });
  const oldestFirst = await sortInSlices(candidates, (a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0), slices);

  await slices.range(oldestFirst.length, (lo, hi) => {
    for (let i = lo; i < hi; i++) {
      const { id, at } = oldestFirst[i]!;
      for (const file of byRun.get(id)!) {
        const days = settings.days[file.kind];
        if (days !== undefined && now - at > days * DAY_MS) remove(file, 'age');
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
        for (let i = lo; i < hi; i++) {
          if (kept <= maxBytes) return true;
          for (const file of byRun.get(oldestFirst[i]!.id)!) if (file.kind === kind) kept -= remove(file, 'size');
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
