/**
 * The retention plan as it was before it was sliced (issue 20): the whole choice in one
 * synchronous go, with one `Array.prototype.sort` over every candidate run. Kept verbatim as the
 * reference the sliced `planRetention` must equal (retention-plan.test.ts) and as the baseline of
 * `npm run bench:retention`. Not used by the API.
 */
import { type KeptFile, type PlanInput, type PlannedRemoval, RETENTION_KINDS } from '../../apps/api/src/services/retention-plan';

const DAY_MS = 86_400_000;

export function planRetentionAtOnce(input: PlanInput): PlannedRemoval[] {
  const { settings, finishedAt, protectedRuns, now } = input;
  const byRun = new Map<string, KeptFile[]>();
  for (const f of input.files) {
    const list = byRun.get(f.runId);
    if (list) list.push(f);
    else byRun.set(f.runId, [f]);
  }
  const removed = new Map<string, PlannedRemoval>();
  /** Removes a file (a record with its run's other files). @returns the bytes that newly go. */
  const remove = (f: KeptFile, why: PlannedRemoval['why']): number => {
    if (removed.has(f.path)) return 0;
    let bytes = 0;
    if (f.kind === 'records')
      for (const other of byRun.get(f.runId) ?? [])
        if (other.kind !== 'records' && !removed.has(other.path)) {
          removed.set(other.path, { ...other, why });
          bytes += other.bytes;
        }
    removed.set(f.path, { ...f, why });
    return bytes + f.bytes;
  };
  // The runs that may lose files, oldest finished first; run ids are time-ordered, so they break
  // ties. Runs are sorted, not files: a quarter of the comparisons, and no object per file (at
  // 100k runs, sorting 400k files took seconds of the API's event loop, mostly in its GC).
  const oldestFirst = [...byRun.keys()].filter((id) => finishedAt.has(id) && !protectedRuns.has(id)).sort((a, b) => finishedAt.get(a)! - finishedAt.get(b)! || (a < b ? -1 : a > b ? 1 : 0));

  for (const id of oldestFirst) {
    const age = now - finishedAt.get(id)!;
    for (const file of byRun.get(id)!) {
      const days = settings.days[file.kind];
      if (days !== undefined && age > days * DAY_MS) remove(file, 'age');
    }
  }

  if (settings.maxBytes !== undefined) {
    let kept = 0;
    for (const f of input.files) if (!removed.has(f.path)) kept += f.bytes;
    for (const kind of RETENTION_KINDS) {
      for (const id of oldestFirst) {
        if (kept <= settings.maxBytes) break;
        for (const file of byRun.get(id)!) if (file.kind === kind) kept -= remove(file, 'size');
      }
    }
  }
  // Records last: see above.
  const plan = [...removed.values()];
  return [...plan.filter((f) => f.kind !== 'records'), ...plan.filter((f) => f.kind === 'records')];
}
