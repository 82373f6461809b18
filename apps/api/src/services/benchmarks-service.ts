import { type BenchmarkDefinition, type BenchmarkLeaderboard, type BenchmarkView, type BenchmarkLeaderboardQuery, type LimitPolicy, resolveLimits, viewOfBenchmark } from '@modelrun/contracts';
import type { RunIndex } from '@modelrun/leaderboard';
import type { z } from 'zod';
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

  constructor(
    private readonly benchmarks: ReadonlyMap<string, BenchmarkDefinition>,
    private readonly index: RunIndex,
    /** The deployment's limits: shown with the list, and each benchmark's resolved against them. */
    readonly policy?: LimitPolicy,
    /** Label keys a submission may require of its host (RUN_ALLOWED_LABELS): the submit form offers them. */
    readonly allowedLabels: readonly string[] = [],
  ) {
    this.views = [...benchmarks.values()].map((b) => {
      const resolved = policy && resolveLimits(b.model?.limits, policy);
      return { ...viewOfBenchmark(b), ...(resolved?.ok && { modelLimits: resolved.limits }) };
    });
  }

  list(): BenchmarkView[] {
    return this.views;
  }

  get(name: string): BenchmarkView | undefined {
    return this.views.find((b) => b.name === name);
  }

  /** The metric a page sorts by (default the primary). Throws InvalidRequest for a metric the benchmark does not have. */
  sortOf(definition: BenchmarkDefinition, q: z.output<typeof BenchmarkLeaderboardQuery>): string {
    const sort = q.sort ?? definition.primaryMetric;
    if (!definition.metrics.some((m) => m.name === sort)) {
      throw new InvalidRequest(`sort: benchmark ${definition.name} has no metric ${JSON.stringify(sort)} (its metrics: ${definition.metrics.map((m) => m.name).join(', ')})`);
    }
    return sort;
  }

  /** The leaderboard page as JSON; undefined for an unknown benchmark. Throws InvalidRequest for a metric it does not have. */
  leaderboardJson(name: string, q: z.output<typeof BenchmarkLeaderboardQuery>): string | undefined {
    const definition = this.benchmarks.get(name);
    if (!definition) return undefined;
    const sort = this.sortOf(definition, q);
    const key = `${name}/${sort}/${q.order}/${q.limit}/${q.offset}`;
    const cached = this.pages.get(key);
    if (cached?.version === this.index.version) return cached.body;
    const body = JSON.stringify(this.leaderboard(definition, sort, q));
    if (this.pages.size >= PAGE_CACHE_ENTRIES) this.pages.clear();
    this.pages.set(key, { version: this.index.version, body });
    return body;
  }

  private leaderboard(definition: BenchmarkDefinition, sort: string, q: z.output<typeof BenchmarkLeaderboardQuery>): BenchmarkLeaderboard {
    const listed = this.index.boards.list(definition.name, { sort, order: q.order, limit: q.limit, offset: q.offset }) ?? { total: 0, entries: [] };
    return {
      benchmark: viewOfBenchmark(definition),
      sort,
      order: q.order,
      entries: listed.entries.map((e, i) => ({ rank: q.offset + i + 1, name: e.name, scoredRuns: e.scoredRuns, bestRun: e.best, metrics: e.best.metrics ?? {} })),
      total: listed.total,
      limit: q.limit,
      offset: q.offset,
    };
  }
}
