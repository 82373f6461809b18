import type { ModelSort, RunSummary } from '@modelrun/contracts';

/** A model as the index holds it. */
export interface ModelEntry {
  name: string;
  /** Ordered by run id, which is time-ordered (UUIDv7): the last one is the latest. */
  runs: RunSummary[];
  best?: RunSummary;
}

/**
 * A view that has had this many models moved since it was last read is dropped and sorted
 * afresh on the next read instead: after a burst (a rescan finding thousands of records) one
 * sort is cheaper than thousands of single moves.
 */
const REBUILD_AFTER = 256;

/**
 * The models sorted each way a listing asks for. A view is sorted once, on first use, and from
 * then on kept sorted one model at a time: a model whose key changed is taken out and put back
 * at its new place (a binary search), so a run finishing never costs a sort of every model.
 */
export class SortedViews {
  private readonly views = new Map<ModelSort, { list: ModelEntry[]; moves: number }>();

  /** The models in `sort`'s natural order (name ascending, the others descending). */
  list(sort: ModelSort, models: () => Iterable<ModelEntry>): ModelEntry[] {
    let view = this.views.get(sort);
    if (!view) {
      view = { list: [...models()].sort(COMPARE[sort]), moves: 0 };
      this.views.set(sort, view);
    }
    view.moves = 0;
    return view.list;
  }

  clear(): void {
    this.views.clear();
  }

  added(model: ModelEntry): void {
    for (const sort of this.views.keys()) this.place(sort, model, false);
  }

  /** `model`'s key for `sort` changed. */
  moved(sort: ModelSort, model: ModelEntry): void {
    if (this.views.has(sort)) this.place(sort, model, true);
  }

  removed(model: ModelEntry): void {
    for (const view of this.views.values()) remove(view.list, model);
  }

  private place(sort: ModelSort, model: ModelEntry, present: boolean): void {
    const view = this.views.get(sort)!;
    if (++view.moves > REBUILD_AFTER) {
      this.views.delete(sort);
      return;
    }
    if (present) remove(view.list, model);
    insertSorted(view.list, model, COMPARE[sort]);
  }
}

/** How many models, in the score view, have a best score: they come first, so a binary search. */
export function countScored(sorted: readonly ModelEntry[]): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.best !== undefined) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function remove(list: ModelEntry[], model: ModelEntry): void {
  const i = list.indexOf(model);
  if (i >= 0) list.splice(i, 1);
}

function insertSorted(list: ModelEntry[], model: ModelEntry, compare: (a: ModelEntry, b: ModelEntry) => number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(list[mid]!, model) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, model);
}

const byName = (a: ModelEntry, b: ModelEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const COMPARE: Record<ModelSort, (a: ModelEntry, b: ModelEntry) => number> = {
  name: byName,
  score: (a, b) => {
    const sa = a.best?.score;
    const sb = b.best?.score;
    if (sa === undefined || sb === undefined) return sa === sb ? byName(a, b) : sa === undefined ? 1 : -1;
    return sb - sa || byName(a, b);
  },
  latest: (a, b) => {
    const la = a.runs.at(-1)?.id ?? '';
    const lb = b.runs.at(-1)?.id ?? '';
    return la < lb ? 1 : la > lb ? -1 : byName(a, b);
  },
  runs: (a, b) => b.runs.length - a.runs.length || byName(a, b),
};
