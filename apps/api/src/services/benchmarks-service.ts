import {
  type BenchmarkDefinition,
  type BenchmarkLeaderboard,
  type BenchmarkView,
  type BenchmarkLeaderboardQuery,
  type LimitPolicy,
  phasesView,
  resolveLimits,
  viewOfBenchmark,
} from '@modelrun/contracts';
import type { RunIndex } from '@modelrun/leaderboard';
import type { z } from 'zod';
import { BoardEvaluators } from './board-evaluators';
import { InvalidRequest } from './errors';

/** Distinct leaderboard pages kept serialized per benchmark (sort, order, limit, offset). */
const PAGE_CACHE_ENTRIES = 256;

/**
 * The benchmarks a submitter may see (never their evaluator image or reference data) and their
 * leaderboards, from the run index. A page's JSON is kept until the index moves on: the same
 * page is read far more often than runs finish.
 */
export class BenchmarksService {
  private readonly views: BenchmarkView[];
  private readonly pages = new Map<string, { version: number; body: string }>();
  /** Which entries an older evaluator scored (issue 19). */
  private readonly evaluators: BoardEvaluators;

  constructor(
    private readonly benchmarks: ReadonlyMap<string, BenchmarkDefinition>,
    private readonly index: RunIndex,
    /** The deployment's limits: shown with the list, and each benchmark's resolved against them. */
    readonly policy?: LimitPolicy,
    /** Label keys a submission may require of its host (RUN_ALLOWED_LABELS): the submit form offers them. */
    readonly allowedLabels: readonly string[] = [],
  ) {
    this.evaluators = new BoardEvaluators(index);
    this.views = [...benchmarks.values()].map((b) => {
      const resolved = policy && resolveLimits(b.model?.limits, policy);
      return { ...viewOfBenchmark(b), ...(resolved?.ok && { modelLimits: resolved.limits }) };
    });
  }

  /** @param now what the phases' open one and time left are reckoned at */
  list(now = Date.now()): BenchmarkView[] {
    return this.views.map((view) => this.withPhases(view, now));
  }

  get(name: string, now = Date.now()): BenchmarkView | undefined {
    const view = this.views.find((b) => b.name === name);
    return view && this.withPhases(view, now);
  }

  /** A benchmark with phases: which is open and the time left change by the second, so they are added at each read. */
  private withPhases(view: BenchmarkView, now: number): BenchmarkView {
    const definition = this.benchmarks.get(view.name);
    return definition?.phases ? { ...view, ...phasesView(definition, now) } : view;
  }

  /** The metric a page sorts by (default the primary). Throws InvalidRequest for a metric the benchmark does not have. */
  sortOf(definition: BenchmarkDefinition, q: z.output<typeof BenchmarkLeaderboardQuery>): string {
    const sort = q.sort ?? definition.primaryMetric;
    if (!definition.metrics.some((m) => m.name === sort)) {
      throw new InvalidRequest(`sort: benchmark ${definition.name} has no metric ${JSON.stringify(sort)} (its metrics: ${definition.metrics.map((m) => m.name).join(', ')})`);
    }
    return sort;
  }

  /** Throws InvalidRequest for `phase` naming a phase the benchmark does not have. */
  checkPhase(definition: BenchmarkDefinition, q: z.output<typeof BenchmarkLeaderboardQuery>): void {
    if (q.phase === undefined || definition.phases?.some((p) => p.name === q.phase)) return;
    const phases = definition.phases?.map((p) => p.name) ?? [];
    throw new InvalidRequest(`phase: benchmark ${definition.name} has no phase ${JSON.stringify(q.phase)} (${phases.length ? `its phases: ${phases.join(', ')}` : 'it has no phases'})`);
  }

  /** The leaderboard page as JSON; undefined for an unknown benchmark. Throws InvalidRequest for a metric it does not have. */
  leaderboardJson(name: string, q: z.output<typeof BenchmarkLeaderboardQuery>): string | undefined {
    const definition = this.benchmarks.get(name);
    if (!definition) return undefined;
    const sort = this.sortOf(definition, q);
    this.checkPhase(definition, q);
    const key = `${name}/${sort}/${q.order}/${q.limit}/${q.offset}/${q.phase ?? ''}`;
    const cached = this.pages.get(key);
    if (cached?.version === this.index.version) return cached.body;
    const body = JSON.stringify(this.leaderboard(definition, sort, q));
    if (this.pages.size >= PAGE_CACHE_ENTRIES) this.pages.clear();
    this.pages.set(key, { version: this.index.version, body });
    return body;
  }

  private leaderboard(definition: BenchmarkDefinition, sort: string, q: z.output<typeof BenchmarkLeaderboardQuery>): BenchmarkLeaderboard {
    const opts = { sort, order: q.order, limit: q.limit, offset: q.offset };
    const listed = (q.phase !== undefined ? this.index.phaseBoards.list(definition.name, q.phase, opts) : this.index.boards.list(definition.name, opts)) ?? { total: 0, entries: [] };
    const page = listed.entries.map((e, i) => ({ rank: q.offset + i + 1, name: e.name, scoredRuns: e.scoredRuns, bestRun: e.best, metrics: e.best.metrics ?? {} }));
    const { entries, currentEvaluator } = this.evaluators.mark(definition, q.phase, page);
    return {
      benchmark: viewOfBenchmark(definition),
      sort,
      order: q.order,
      entries,
      total: listed.total,
      limit: q.limit,
      offset: q.offset,
      ...(currentEvaluator !== undefined && { currentEvaluator }),
    };
  }
}
