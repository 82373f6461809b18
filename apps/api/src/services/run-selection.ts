import { type BenchmarkDefinition, type RunView, boardOf } from '@modelrun/contracts';
import type { BoardState, SelectOutcome } from '@modelrun/run-control';
import type { RunIndex } from '@modelrun/leaderboard';
import { Conflict, viaRedis } from './errors';
import { PrivateBoards } from './private-boards';

/**
 * Which runs a submitter selected for a `selected`-rule benchmark's private board (issue 19),
 * up to the benchmark's selectLimit per model. Kept in Redis (BoardState): a run's record is
 * written once by a worker, and every API replica must see one selection.
 */
export class RunSelection {
  constructor(
    private readonly benchmarks: ReadonlyMap<string, BenchmarkDefinition>,
    private readonly state?: BoardState,
  ) {}

  /** The benchmark of a run that may be selected, with its limit; undefined when its board rule is not `selected`. */
  private ruleOf(run: RunView): { benchmark: string; limit: number } | undefined {
    const definition = run.benchmark !== undefined ? this.benchmarks.get(run.benchmark) : undefined;
    const board = definition && boardOf(definition);
    return board?.rule === 'selected' ? { benchmark: definition!.name, limit: board.selectLimit! } : undefined;
  }

  private selectable(run: RunView): { benchmark: string; limit: number; state: BoardState } {
    const rule = this.ruleOf(run);
    if (!rule || !this.state) {
      throw new Conflict(
        `run ${run.id} cannot be selected: ${run.benchmark === undefined ? 'it is not a benchmark run' : `benchmark ${run.benchmark} ranks each model's best run (its board rule is not "selected")`}`,
      );
    }
    return { ...rule, state: this.state };
  }

  async select(run: RunView): Promise<SelectOutcome> {
    const { benchmark, limit, state } = this.selectable(run);
    if (run.status !== 'succeeded') throw new Conflict(`run ${run.id} cannot be selected: only succeeded runs can (it is ${run.status})`);
    return viaRedis(() => state.select(benchmark, run.name, run.id, limit));
  }

  async unselect(run: RunView): Promise<void> {
    const { benchmark, state } = this.selectable(run);
    await viaRedis(() => state.unselect(benchmark, run.name, run.id));
  }

  /** For the run view: true or false on a `selected`-rule benchmark's run, undefined on any other. */
  async selected(run: RunView): Promise<boolean | undefined> {
    const rule = this.ruleOf(run);
    if (!rule || !this.state || run.status !== 'succeeded') return undefined;
    const state = this.state;
    return viaRedis(() => state.isSelected(rule.benchmark, run.id));
  }
}

/** The private boards and the selection over one BoardState (Redis), as the API serves them. */
export function boardsOf(benchmarks: ReadonlyMap<string, BenchmarkDefinition>, index: RunIndex, state: BoardState): { boards: PrivateBoards; selection: RunSelection } {
  return { boards: new PrivateBoards(benchmarks, index, state), selection: new RunSelection(benchmarks, state) };
}
