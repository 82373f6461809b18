import { type BenchmarkDefinition, type BenchmarkLeaderboard, type BenchmarkLeaderboardQuery, type BenchmarkView, boardIn, viewOfBenchmark } from '@modelrun/contracts';
import { type RuledEntry, type RunIndex, chooseRuns, sortRuled } from '@modelrun/leaderboard';
import type { BoardState, Reveal } from '@modelrun/run-control';
import type { z } from 'zod';
import { type Principal, decide } from '../authz/policy';
import { BoardEvaluators } from './board-evaluators';
import { Conflict, viaRedis } from './errors';

export type PrivateBoardView = NonNullable<BenchmarkView['privateBoard']>;
type Query = z.output<typeof BenchmarkLeaderboardQuery>;

/**
 * The private board of each benchmark and the boards its rule (`last`, `selected`) decides
 * (issue 19). Who may see the private board: operators and admins, and everyone once it is
 * revealed, by an admin (kept in Redis, BoardState, for every replica and across restarts) or
 * at the benchmark's `privateBoard.revealAt`. Boards other than today's `best` public one are
 * computed from the index's runs of the benchmark (or of the phase, by the phase's rule) and
 * kept until one of the benchmark's runs or the selection changes.
 */
export class PrivateBoards {
  private readonly computed = new Map<string, { version: number; selection: string; entries: RuledEntry[] }>();
  private readonly evaluators: BoardEvaluators;

  constructor(
    private readonly benchmarks: ReadonlyMap<string, BenchmarkDefinition>,
    private readonly index: RunIndex,
    /** Reveals and selections; without it (no Redis) nothing is revealed but by revealAt. */
    readonly state?: BoardState,
    private readonly now: () => number = Date.now,
  ) {
    this.evaluators = new BoardEvaluators(index);
  }

  definition(name: string): BenchmarkDefinition | undefined {
    return this.benchmarks.get(name);
  }

  /** Whether the benchmark's private board is revealed to everyone, and since when. */
  async visibility(definition: BenchmarkDefinition): Promise<PrivateBoardView> {
    const reveal = this.state && (await viaRedis(() => this.state!.revealed(definition.name)));
    const revealAt = definition.privateBoard?.revealAt;
    const due = revealAt !== undefined && Date.parse(revealAt) <= this.now();
    return {
      revealed: reveal !== undefined || due,
      ...(revealAt !== undefined && { revealAt }),
      ...((reveal || due) && { revealedAt: reveal?.at ?? new Date(Date.parse(revealAt!)).toISOString() }),
    };
  }

  /** May `p` see the benchmark's private scores (its board, and a run's privateScore)? Without a caller (auth off) yes. */
  async mayRead(p: Principal | undefined, benchmark: string): Promise<boolean> {
    const definition = this.benchmarks.get(benchmark);
    if (!definition) return false;
    if (!p || decide(p, 'benchmarks.private').kind === 'allow') return true;
    return (await this.visibility(definition)).revealed;
  }

  /** An admin reveals the board for good; a second reveal changes nothing. */
  async reveal(definition: BenchmarkDefinition, by: string): Promise<{ reveal: Reveal; first: boolean }> {
    if (!this.state) throw new Conflict('this API has no Redis to keep a reveal in');
    return viaRedis(() => this.state!.reveal(definition.name, by, new Date(this.now())));
  }

  /** Whether a page of this board is not today's (`best`, public), which the index keeps ready. */
  ruled(definition: BenchmarkDefinition, q: Query): boolean {
    return q.board === 'private' || boardIn(definition, q.phase).rule !== 'best';
  }

  /** A page of the board `q.board` by the benchmark's rule; `sort` is a metric of the benchmark. */
  async leaderboard(definition: BenchmarkDefinition, sort: string, q: Query): Promise<BenchmarkLeaderboard> {
    const rule = boardIn(definition, q.phase);
    const selected = rule.rule === 'selected' && q.board === 'private' && this.state ? await viaRedis(() => this.state!.selected(definition.name)) : new Set<string>();
    const key = `${definition.name}/${q.board}/${q.phase ?? ''}`;
    const selection = [...selected].sort().join(',');
    let cached = this.computed.get(key);
    const version = this.index.benchmarkVersion(definition.name);
    if (cached?.version !== version || cached.selection !== selection) {
      // A phase's board: the runs admitted while it was open (the index keeps them as the phase's list).
      const runs = [...this.index.benchmarkRuns(definition.name, q.phase)].map((run) => ({ run, privateMetrics: this.index.privateMetricsOf(run.id) }));
      cached = { version, selection, entries: chooseRuns({ definition, runs, board: q.board, selected, rule }) };
      this.computed.set(key, cached);
    }
    const direction = definition.metrics.find((m) => m.name === sort)!.direction;
    const sorted = sortRuled(cached.entries, sort, q.order === 'best' ? direction : direction === 'higher' ? 'lower' : 'higher');
    const page = sorted.slice(q.offset, q.offset + q.limit).map((e, i) => ({ rank: q.offset + i + 1, name: e.name, scoredRuns: e.scoredRuns, bestRun: e.best, metrics: e.metrics }));
    const { entries, currentEvaluator } = this.evaluators.mark(definition, q.phase, page);
    return {
      benchmark: viewOfBenchmark(definition),
      sort,
      order: q.order,
      entries,
      total: sorted.length,
      limit: q.limit,
      offset: q.offset,
      board: q.board,
      ...(currentEvaluator !== undefined && { currentEvaluator }),
    };
  }
}
