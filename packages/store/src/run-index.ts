import type { FailureReason, RunPhase, RunRecord, RunStatus } from '@modelrun/contracts';

/** What the index keeps of a run: enough for listings; the full record stays on disk. */
export interface RunSummary {
  id: string;
  name: string;
  image: string;
  status: RunStatus;
  phase?: RunPhase;
  reason?: FailureReason;
  exitCode?: number | null;
  score?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
}

export interface ModelSummary {
  name: string;
  runCount: number;
  latestRun: RunSummary;
  /** The succeeded run with the highest score (scores are higher-is-better). */
  bestRun?: RunSummary;
  bestScore?: number;
}

export const MODEL_SORTS = ['score', 'name', 'latest', 'runs'] as const;
export type ModelSort = (typeof MODEL_SORTS)[number];

export interface ListOptions {
  sort: ModelSort;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

interface ModelEntry {
  name: string;
  /** Ordered by run id, which is time-ordered (UUIDv7): the last one is the latest. */
  runs: RunSummary[];
  best?: RunSummary;
}

const FINAL = new Set<RunStatus>(['succeeded', 'failed', 'cancelled']);

export function isFinal(status: RunStatus): boolean {
  return FINAL.has(status);
}

export function summarize(r: RunRecord): RunSummary {
  return {
    id: r.id,
    name: r.name,
    image: r.image,
    status: r.status,
    ...(r.reason !== undefined && { reason: r.reason }),
    ...(r.exitCode !== undefined && { exitCode: r.exitCode }),
    ...(r.score !== undefined && { score: r.score }),
    createdAt: r.createdAt,
    ...(r.startedAt !== undefined && { startedAt: r.startedAt }),
    finishedAt: r.finishedAt,
    ...(r.durationMs !== undefined && { durationMs: r.durationMs }),
  };
}

/**
 * The in-memory index of every run the API knows: finished runs from the volume, live ones
 * from the queue. Updated one run at a time; sorted views are cached per sort key and rebuilt
 * only when something that sort depends on changed.
 */
export class RunIndex {
  private readonly runs = new Map<string, RunSummary>();
  private readonly models = new Map<string, ModelEntry>();
  private readonly sorted = new Map<ModelSort, ModelEntry[]>();
  // Images repeat across a model's runs; one string per distinct image keeps 100k runs small.
  private readonly images = new Map<string, string>();

  get runCount(): number {
    return this.runs.size;
  }

  get modelCount(): number {
    return this.models.size;
  }

  getRun(id: string): RunSummary | undefined {
    return this.runs.get(id);
  }

  /**
   * Adds or replaces a run. A finished run is final: a live update arriving late for it
   * (events are not ordered against volume reads) is ignored.
   * @returns whether the index changed.
   */
  upsert(next: RunSummary): boolean {
    const prev = this.runs.get(next.id);
    if (prev && isFinal(prev.status) && !isFinal(next.status)) return false;
    const image = this.images.get(next.image) ?? next.image;
    this.images.set(image, image);
    const run = { ...next, image };
    this.runs.set(run.id, run);

    let model = this.models.get(run.name);
    if (!model) {
      model = { name: run.name, runs: [] };
      this.models.set(run.name, model);
      this.invalidate('name');
    }
    const before = { latest: model.runs.at(-1), count: model.runs.length, best: model.best };
    const at = searchById(model.runs, run.id);
    if (at.found) model.runs[at.index] = run;
    else model.runs.splice(at.index, 0, run);
    if (run.status === 'succeeded' && run.score !== undefined && (!model.best || run.score > (model.best.score ?? -Infinity))) {
      model.best = run;
    }
    if (model.runs.length !== before.count) this.invalidate('runs');
    if (model.runs.at(-1)?.id !== before.latest?.id) this.invalidate('latest');
    if (model.best !== before.best) this.invalidate('score');
    return true;
  }

  /** Drops a live run (removed from the queue before it ever finished). Finished runs stay. */
  removeLive(id: string): void {
    const run = this.runs.get(id);
    if (!run || isFinal(run.status)) return;
    this.runs.delete(id);
    const model = this.models.get(run.name);
    if (!model) return;
    const at = searchById(model.runs, id);
    if (at.found) model.runs.splice(at.index, 1);
    if (model.runs.length === 0) {
      this.models.delete(run.name);
      this.invalidate('name');
    }
    this.invalidate('runs');
    this.invalidate('latest');
  }

  getModel(name: string): (ModelSummary & { runs: RunSummary[] }) | undefined {
    const model = this.models.get(name);
    return model && { ...toSummary(model), runs: [...model.runs].reverse() };
  }

  listModels(opts: ListOptions): { total: number; models: ModelSummary[] } {
    const sorted = this.sortedBy(opts.sort);
    const total = sorted.length;
    const models: ModelSummary[] = [];
    // The cached order is the sort's natural one; the other order walks it from the far end,
    // except that models without a score stay last either way.
    const natural = opts.sort === 'name' ? 'asc' : 'desc';
    const scored = opts.sort === 'score' ? countScored(sorted) : total;
    for (let i = opts.offset; i < Math.min(total, opts.offset + opts.limit); i++) {
      const j = opts.order === natural || i >= scored ? i : scored - 1 - i;
      models.push(toSummary(sorted[j]!));
    }
    return { total, models };
  }

  private invalidate(sort: ModelSort): void {
    this.sorted.delete(sort);
  }

  private sortedBy(sort: ModelSort): ModelEntry[] {
    let list = this.sorted.get(sort);
    if (!list) {
      list = [...this.models.values()].sort(COMPARE[sort]);
      this.sorted.set(sort, list);
    }
    return list;
  }
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

function countScored(sorted: ModelEntry[]): number {
  // Scored models come first in score order: binary search for the first one without a score.
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.best !== undefined) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function toSummary(model: ModelEntry): ModelSummary {
  return {
    name: model.name,
    runCount: model.runs.length,
    latestRun: model.runs.at(-1)!,
    ...(model.best && { bestRun: model.best, bestScore: model.best.score }),
  };
}

function searchById(runs: RunSummary[], id: string): { found: boolean; index: number } {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const midId = runs[mid]!.id;
    if (midId === id) return { found: true, index: mid };
    if (midId < id) lo = mid + 1;
    else hi = mid;
  }
  return { found: false, index: lo };
}
