import {
  type BenchmarkDefinition,
  type FailureReason,
  phaseOfTime,
  type ModelSort,
  type ModelSummary,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  type RunView,
  isFinal,
} from '@modelrun/contracts';
import { BenchmarkBoards } from './benchmark-boards';
import { PhaseBoards } from './phase-boards';
import { type ModelEntry, SortedViews, countScored } from './model-views';

export { MODEL_SORTS, type ModelSort, type ModelSummary, type RunSummary } from '@modelrun/contracts';

export interface ListOptions {
  sort: ModelSort;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/**
 * A run as the index takes it: its summary and, for a benchmark run scored on a private part,
 * its private metrics, which the index keeps apart (privateMetricsOf) so that no view built
 * from summaries can show them.
 */
export type IndexedRun = RunSummary & { privateMetrics?: Record<string, number> };

/** What the index keeps of a run, from its record or from the API's live view of it. */
export function summarize(r: RunRecord | RunView): IndexedRun {
  return {
    id: r.id,
    name: r.name,
    image: r.image,
    ...(r.benchmark !== undefined && { benchmark: r.benchmark }),
    ...(r.submittedBy !== undefined && { submittedBy: r.submittedBy }),
    ...(r.imageDigest !== undefined && { imageDigest: r.imageDigest }),
    status: r.status,
    ...('phase' in r && r.phase !== undefined && { phase: r.phase }),
    ...(r.reason !== undefined && { reason: r.reason }),
    ...(r.exitCode !== undefined && { exitCode: r.exitCode }),
    ...(r.score !== undefined && { score: r.score }),
    // Self-scored runs' metrics stay on disk: the index holds 100k runs in little memory.
    ...(r.benchmark !== undefined && r.metrics !== undefined && { metrics: r.metrics }),
    createdAt: r.createdAt,
    ...(r.startedAt !== undefined && { startedAt: r.startedAt }),
    ...(r.finishedAt !== undefined && { finishedAt: r.finishedAt }),
    ...(r.durationMs !== undefined && { durationMs: r.durationMs }),
    ...(r.benchmark !== undefined && r.privateMetrics !== undefined && { privateMetrics: r.privateMetrics }),
    ...(r.benchmark !== undefined && r.evaluatorImage !== undefined && { evaluatorImage: r.evaluatorImage }),
    ...(r.benchmark !== undefined && r.evaluatorImage !== undefined && scoredAtOf(r) !== undefined && { scoredAt: scoredAtOf(r) }),
  };
}

/** When a run's current score was given: its latest re-score that gave one (an entry with `error` kept the score), else its finish. */
function scoredAtOf(r: RunRecord | RunView): string | undefined {
  const given = r.scoreHistory?.findLast((entry) => entry.error === undefined);
  return given?.at ?? r.finishedAt;
}

/**
 * The in-memory index of every run the API knows: finished runs from the volume, live ones
 * from the queue. Updated one run at a time; the sorted views follow each change (SortedViews).
 */
export class RunIndex {
  /** Moves on every change: what was derived from the index at an older version is stale. */
  version = 0;
  private readonly runs = new Map<string, RunSummary>();
  private readonly models = new Map<string, ModelEntry>();
  private readonly views = new SortedViews();
  /** The benchmarks' leaderboards, fed by the same upserts. */
  readonly boards: BenchmarkBoards;
  /** The boards of each phase of the benchmarks with phases, fed alongside `boards`. */
  readonly phaseBoards: PhaseBoards;
  // Images, statuses and the like repeat across runs; one string each keeps 100k runs small.
  private readonly strings = new Map<string, string>();
  /** Benchmark runs' private metrics by run id: only the private board reads them. */
  private readonly privateMetrics = new Map<string, Record<string, number>>();
  /**
   * Each benchmark's runs, and each phase's (`benchmark/phase`), by id: a ruled board
   * (BenchmarkRuns) recomputes from its benchmark's runs, not by walking every run in the index.
   */
  private readonly benchmarkLists = new BenchmarkRunLists();

  /** @param benchmarks the configured benchmarks (BENCHMARKS_FILE), each with a leaderboard. */
  constructor(benchmarks: Iterable<BenchmarkDefinition> = []) {
    const definitions = [...benchmarks];
    this.boards = new BenchmarkBoards(definitions);
    this.phaseBoards = new PhaseBoards(definitions);
    for (const d of definitions) this.definitions.set(d.name, d);
  }

  private readonly definitions = new Map<string, BenchmarkDefinition>();

  /** The lists a benchmark run belongs to: its benchmark's, and its phase's where the benchmark has phases. */
  private listsOf(run: RunSummary): string[] {
    if (run.benchmark === undefined) return [];
    const definition = this.definitions.get(run.benchmark);
    const phase = definition?.phases && phaseOfTime(definition, run.createdAt);
    return phase ? [run.benchmark, `${run.benchmark}/${phase.name}`] : [run.benchmark];
  }

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
  upsert(indexed: IndexedRun): boolean {
    const { privateMetrics, ...next } = indexed;
    const prev = this.runs.get(next.id);
    if (prev && isFinal(prev.status) && !isFinal(next.status)) return false;
    this.version++;
    if (privateMetrics) this.privateMetrics.set(next.id, privateMetrics);
    // A final run's summary comes from its record: one without a private part has none now (a
    // re-score by an evaluator that writes none), and an older evaluator's must not stand.
    else if (isFinal(next.status)) this.privateMetrics.delete(next.id);

    let model = this.models.get(next.name);
    const added = !model;
    if (!model) {
      model = { name: next.name, runs: [] };
      this.models.set(model.name, model);
    }
    const run: RunSummary = { ...next, name: model.name, image: this.intern(next.image), status: this.intern(next.status) as RunStatus };
    if (next.reason !== undefined) run.reason = this.intern(next.reason) as FailureReason;
    if (next.evaluatorImage !== undefined) run.evaluatorImage = this.intern(next.evaluatorImage);
    this.runs.set(run.id, run);
    if (prev) this.benchmarkLists.remove(prev, this.listsOf(prev));
    this.benchmarkLists.add(run, this.listsOf(run));

    const before = { latest: model.runs.at(-1), count: model.runs.length, best: model.best };
    const at = searchById(model.runs, run.id);
    if (at.found) model.runs[at.index] = run;
    else model.runs.splice(at.index, 0, run);
    if (isBetter(run, model.best)) model.best = run;
    else if (model.best?.id === run.id) model.best = bestOf(model.runs);
    if (run.benchmark !== undefined) {
      const runs = model.runs;
      this.boards.update(run, prev?.status !== 'succeeded', () => runs);
      this.phaseBoards.update(run, prev?.status !== 'succeeded', () => runs);
    }

    if (added) {
      this.views.added(model);
      return true;
    }
    if (model.runs.length !== before.count) this.views.moved('runs', model);
    if (model.runs.at(-1)?.id !== before.latest?.id) this.views.moved('latest', model);
    // A new best run with the same score leaves the order as it was.
    if (model.best?.score !== before.best?.score) this.views.moved('score', model);
    return true;
  }

  /**
   * Adds a model and all its finished runs at once (loading an index snapshot): the runs,
   * ordered by id, are kept as given, not copied, and nothing is sorted or searched per run.
   * Runs that are not that (a model or a run the index holds already, runs out of order) are
   * upserted one at a time instead.
   */
  addModel(name: string, runs: IndexedRun[]): void {
    const plain = !this.models.has(name) && runs.every((r, i) => isFinal(r.status) && !this.runs.has(r.id) && (i === 0 || runs[i - 1]!.id < r.id));
    if (!plain || runs.length === 0) {
      for (const run of runs) this.upsert(run);
      return;
    }
    this.version++;
    const model: ModelEntry = { name, runs };
    for (const run of runs) {
      if (run.privateMetrics) {
        this.privateMetrics.set(run.id, run.privateMetrics);
        delete run.privateMetrics;
      }
      run.name = name;
      run.image = this.intern(run.image);
      run.status = this.intern(run.status) as RunStatus;
      if (run.reason !== undefined) run.reason = this.intern(run.reason) as FailureReason;
      if (run.evaluatorImage !== undefined) run.evaluatorImage = this.intern(run.evaluatorImage);
      this.runs.set(run.id, run);
      this.benchmarkLists.add(run, this.listsOf(run));
      if (isBetter(run, model.best)) model.best = run;
      if (run.benchmark !== undefined) this.boards.update(run, true, () => runs);
      if (run.benchmark !== undefined) this.phaseBoards.update(run, true, () => runs);
    }
    this.models.set(name, model);
    this.views.added(model);
  }

  /** Drops a live run (removed from the queue before it ever finished). Finished runs stay. */
  removeLive(id: string): void {
    const run = this.runs.get(id);
    if (!run || isFinal(run.status)) return;
    this.remove(id);
  }

  /**
   * Drops any run: a finished one only when its record is gone from the volume (an operator
   * deleted it after the index snapshot was written, say).
   */
  remove(id: string): void {
    const run = this.runs.get(id);
    if (!run) return;
    this.version++;
    this.runs.delete(id);
    this.privateMetrics.delete(id);
    this.benchmarkLists.remove(run, this.listsOf(run));
    const model = this.models.get(run.name);
    if (!model) return;
    const at = searchById(model.runs, id);
    if (at.found) model.runs.splice(at.index, 1);
    const runs = model.runs;
    if (run.benchmark !== undefined) this.boards.removed(run, () => runs);
    if (run.benchmark !== undefined) this.phaseBoards.removed(run, () => runs);
    if (model.runs.length === 0) {
      this.models.delete(run.name);
      this.views.removed(model);
      return;
    }
    this.views.moved('runs', model);
    this.views.moved('latest', model);
    if (model.best?.id === id) {
      model.best = bestOf(model.runs);
      this.views.moved('score', model);
    }
  }

  /** Forgets every run: a load that went wrong half way starts again from nothing. */
  clear(): void {
    this.version++;
    this.runs.clear();
    this.privateMetrics.clear();
    this.benchmarkLists.clear();
    this.models.clear();
    this.strings.clear();
    this.views.clear();
    this.boards.clear();
    this.phaseBoards.clear();
  }

  modelNames(): string[] {
    return [...this.models.keys()];
  }

  /** The ids of a model's finished runs (those read from its records). */
  finishedRunIds(name: string): string[] {
    return (this.models.get(name)?.runs ?? []).filter((r) => isFinal(r.status)).map((r) => r.id);
  }

  /** A benchmark run's metrics on the private part of the reference, if its evaluator wrote them. */
  privateMetricsOf(id: string): Record<string, number> | undefined {
    return this.privateMetrics.get(id);
  }

  /**
   * Every run of a benchmark, or of one of its phases (the boards' rules other than today's
   * `best` are computed from them): its own list, so the cost is its runs, not the index's.
   */
  benchmarkRuns(benchmark: string, phase?: string): Iterable<RunSummary> {
    return this.benchmarkLists.runs(phase === undefined ? benchmark : `${benchmark}/${phase}`);
  }

  /** Moves whenever a run of the benchmark (any phase) is added, changed or removed: what was computed from its runs at another is stale. */
  benchmarkVersion(benchmark: string): number {
    return this.benchmarkLists.version(benchmark);
  }

  /** Every model's finished runs (its records), oldest first, with their private metrics: what an index snapshot keeps. */
  *finishedRuns(): Generator<{ name: string; runs: IndexedRun[] }> {
    for (const model of this.models.values()) {
      const runs = model.runs.filter((r) => isFinal(r.status)).map((r) => (this.privateMetrics.has(r.id) ? { ...r, privateMetrics: this.privateMetrics.get(r.id) } : r));
      if (runs.length) yield { name: model.name, runs };
    }
  }

  /**
   * A model and its runs, newest first; with `page`, only that slice of them (a model retrained
   * all the time has thousands of runs, and a page should not cost a copy of all of them).
   */
  getModel(name: string, page?: { offset: number; limit: number }): (ModelSummary & { runs: RunSummary[] }) | undefined {
    const model = this.models.get(name);
    if (!model) return undefined;
    const n = model.runs.length;
    const from = page ? Math.max(0, n - page.offset - page.limit) : 0;
    const to = page ? Math.max(0, n - page.offset) : n;
    return { ...toSummary(model), runs: model.runs.slice(from, to).reverse() };
  }

  listModels(opts: ListOptions): { total: number; models: ModelSummary[] } {
    const sorted = this.views.list(opts.sort, () => this.models.values());
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

  private intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }
}

/** Runs by list name (a benchmark, or `benchmark/phase`), each list with a version that moves when it changes. */
class BenchmarkRunLists {
  private readonly lists = new Map<string, { version: number; runs: Map<string, RunSummary> }>();
  private cleared = 0;

  add(run: RunSummary, names: string[]): void {
    for (const name of names) {
      let list = this.lists.get(name);
      if (!list) {
        list = { version: this.cleared, runs: new Map() };
        this.lists.set(name, list);
      }
      list.runs.set(run.id, run);
      list.version++;
    }
  }

  remove(run: RunSummary, names: string[]): void {
    for (const name of names) {
      const list = this.lists.get(name);
      if (list?.runs.delete(run.id)) list.version++;
    }
  }

  runs(name: string): Iterable<RunSummary> {
    return this.lists.get(name)?.runs.values() ?? [];
  }

  version(name: string): number {
    return this.lists.get(name)?.version ?? this.cleared;
  }

  /** Empties every list; versions keep moving forward, so nothing computed before matches after. */
  clear(): void {
    for (const list of this.lists.values()) this.cleared = Math.max(this.cleared, list.version + 1);
    this.lists.clear();
    this.cleared++;
  }
}

/** The self-scored leaderboard: a benchmark run's score is the evaluator's, ranked on its own board. */
function isBetter(run: RunSummary, best: RunSummary | undefined): boolean {
  return run.status === 'succeeded' && run.benchmark === undefined && run.score !== undefined && (!best || run.score > (best.score ?? -Infinity));
}

/** The best run again from scratch: only when the best run itself was replaced by a worse record. */
function bestOf(runs: readonly RunSummary[]): RunSummary | undefined {
  let best: RunSummary | undefined;
  for (const r of runs) if (isBetter(r, best)) best = r;
  return best;
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
