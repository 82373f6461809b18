import type { BenchmarkDefinition, MetricDirection, RunSummary } from '@modelrun/contracts';

/** A model on a benchmark's leaderboard: its best scored run by the primary metric. */
export interface BoardEntry {
  name: string;
  /** The model's scored (succeeded) runs on the benchmark. */
  scoredRuns: number;
  best: RunSummary;
}

export interface BoardListOptions {
  /** A metric of the benchmark. */
  sort: string;
  /** Best first (the metric's own direction) or worst first. */
  order: 'best' | 'worst';
  limit: number;
  offset: number;
}

interface Board {
  definition: BenchmarkDefinition;
  directions: Map<string, MetricDirection>;
  entries: Map<string, BoardEntry>;
  /** Sorted lists by `${metric}/${order}`, dropped whenever an entry changes. */
  sorted: Map<string, BoardEntry[]>;
}

/**
 * The leaderboards of the configured benchmarks, kept beside the run index: per benchmark, each
 * model's best scored run by the primary metric (ties to the earlier run). A listing sorts the
 * models by any of the benchmark's metrics in that metric's direction; models whose best run
 * lacks the metric come last; ties go to the earlier run. A sorted list is kept until the board
 * changes, so repeated reads cost a slice.
 */
export class BenchmarkBoards {
  private readonly boards = new Map<string, Board>();

  constructor(definitions: Iterable<BenchmarkDefinition> = []) {
    for (const d of definitions) {
      this.boards.set(d.name, { definition: d, directions: new Map(d.metrics.map((m) => [m.name, m.direction])), entries: new Map(), sorted: new Map() });
    }
  }

  clear(): void {
    for (const board of this.boards.values()) {
      board.entries.clear();
      board.sorted.clear();
    }
  }

  has(benchmark: string): boolean {
    return this.boards.has(benchmark);
  }

  /**
   * A run of a model changed. Only succeeded benchmark runs with the primary metric count.
   * @param firstScored this run was not already known as succeeded (so it adds to the count).
   * @param modelRuns every run of the model, to find the best again if its best run was replaced.
   */
  update(run: RunSummary, firstScored: boolean, modelRuns: () => readonly RunSummary[]): void {
    const board = run.benchmark !== undefined ? this.boards.get(run.benchmark) : undefined;
    if (!board || !isScored(run, board)) return;
    const entry = board.entries.get(run.name);
    if (!entry) {
      board.entries.set(run.name, { name: run.name, scoredRuns: 1, best: run });
    } else {
      if (firstScored) entry.scoredRuns++;
      if (entry.best.id === run.id) entry.best = bestOf(board, modelRuns()) ?? run;
      else if (better(board, run, entry.best)) entry.best = run;
    }
    board.sorted.clear();
  }

  /**
   * A run of a model is gone (its record was deleted).
   * @param modelRuns the model's remaining runs, to find its best again.
   */
  removed(run: RunSummary, modelRuns: () => readonly RunSummary[]): void {
    const board = run.benchmark !== undefined ? this.boards.get(run.benchmark) : undefined;
    const entry = board?.entries.get(run.name);
    if (!board || !entry || !isScored(run, board)) return;
    entry.scoredRuns--;
    const best = entry.best.id === run.id ? bestOf(board, modelRuns()) : entry.best;
    if (entry.scoredRuns <= 0 || !best) board.entries.delete(run.name);
    else entry.best = best;
    board.sorted.clear();
  }

  /** @returns undefined for an unknown benchmark or a metric it does not have. */
  list(benchmark: string, opts: BoardListOptions): { total: number; entries: BoardEntry[] } | undefined {
    const board = this.boards.get(benchmark);
    const direction = board?.directions.get(opts.sort);
    if (!board || !direction) return undefined;
    const key = `${opts.sort}/${opts.order}`;
    let sorted = board.sorted.get(key);
    if (!sorted) {
      sorted = sortBy([...board.entries.values()], opts.sort, opts.order === 'best' ? direction : direction === 'higher' ? 'lower' : 'higher');
      board.sorted.set(key, sorted);
    }
    return { total: sorted.length, entries: sorted.slice(opts.offset, opts.offset + opts.limit) };
  }
}

function isScored(run: RunSummary, board: Board): boolean {
  return run.status === 'succeeded' && run.metrics?.[board.definition.primaryMetric] !== undefined;
}

/** Better by the primary metric; on a tie the earlier run stays (run ids are time-ordered). */
function better(board: Board, a: RunSummary, b: RunSummary): boolean {
  const primary = board.definition.primaryMetric;
  const va = a.metrics![primary]!;
  const vb = b.metrics![primary]!;
  if (va === vb) return a.id < b.id;
  return board.directions.get(primary) === 'higher' ? va > vb : va < vb;
}

function bestOf(board: Board, runs: readonly RunSummary[]): RunSummary | undefined {
  let best: RunSummary | undefined;
  for (const r of runs) if (r.benchmark === board.definition.name && isScored(r, board) && (!best || better(board, r, best))) best = r;
  return best;
}

/**
 * Sorted by `metric` in `direction`; entries without it last; ties to the earlier run. The keys
 * are read once into an array (a sort compares each entry about log n times).
 */
function sortBy(entries: BoardEntry[], metric: string, direction: MetricDirection): BoardEntry[] {
  const sign = direction === 'higher' ? -1 : 1;
  const keyed = entries.map((entry) => {
    const v = entry.best.metrics?.[metric];
    return { entry, missing: v === undefined, key: v === undefined ? 0 : sign * v, id: entry.best.id };
  });
  keyed.sort((a, b) => (a.missing !== b.missing ? (a.missing ? 1 : -1) : a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  return keyed.map((k) => k.entry);
}
