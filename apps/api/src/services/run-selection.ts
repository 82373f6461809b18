import { type BenchmarkDefinition, type RunView, boardIn } from '@modelrun/contracts';
import type { BoardState, SelectOutcome } from '@modelrun/run-control';
import type { RunIndex } from '@modelrun/leaderboard';
import { Conflict, viaRedis } from './errors';
import { PrivateBoards } from './private-boards';

/**
 * Which runs a submitter selected for a `selected`-rule benchmark's private board (issue 19),
 * up to the benchmark's selectLimit per model. Kept in Redis (BoardState): a run's record is
 * written once by a worker, and every API replica must see one selection. A run submitted in a
 * phase with a board of its own follows that phase's rule, and its model's limit counts the
 * runs selected in that phase only.
 */
export class RunSelection {
  constructor(
    private readonly benchmarks: ReadonlyMap<string, BenchmarkDefinition>,
    private readonly state?: BoardState,
    /** Whether a run's record is still on the volume: a selected run whose record was deleted no longer counts against the limit. */
    private readonly recordExists?: (model: string, id: string) => Promise<boolean>,
  ) {}

  /**
   * The benchmark of a run that may be selected, with its limit and what the limit is counted
   * over (`model`, or `phase/model` in a phase with its own board: no model name has a `/`);
   * undefined when its board rule is not `selected`.
   */
  private ruleOf(run: RunView): { benchmark: string; limit: number; counted: string } | undefined {
    const definition = run.benchmark !== undefined ? this.benchmarks.get(run.benchmark) : undefined;
    if (!definition) return undefined;
    const ownBoard = run.benchmarkPhase !== undefined && definition.phases?.find((p) => p.name === run.benchmarkPhase)?.board !== undefined;
    const board = boardIn(definition, ownBoard ? run.benchmarkPhase : undefined);
    const counted = ownBoard ? `${run.benchmarkPhase}/${run.name}` : run.name;
    return board.rule === 'selected' ? { benchmark: definition.name, limit: board.selectLimit!, counted } : undefined;
  }

  private selectable(run: RunView): { benchmark: string; limit: number; counted: string; state: BoardState } {
    const rule = this.ruleOf(run);
    if (!rule || !this.state) {
      throw new Conflict(
        `run ${run.id} cannot be selected: ${run.benchmark === undefined ? 'it is not a benchmark run' : `benchmark ${run.benchmark} ranks each model's best run (its board rule is not "selected")`}`,
      );
    }
    return { ...rule, state: this.state };
  }

  async select(run: RunView): Promise<SelectOutcome> {
    const { benchmark, limit, counted, state } = this.selectable(run);
    if (run.status !== 'succeeded') throw new Conflict(`run ${run.id} cannot be selected: only succeeded runs can (it is ${run.status})`);
    const outcome = await viaRedis(() => state.select(benchmark, counted, run.id, limit));
    if (outcome.ok || !this.recordExists) return outcome;
    // Over the limit: a selected run whose record was deleted (retention, an operator) holds a
    // place it can never use; it is taken off, and the selection tried again if that freed one.
    const gone: string[] = [];
    for (const id of outcome.selected) if (!(await this.recordExists(run.name, id))) gone.push(id);
    if (gone.length === 0) return outcome;
    await viaRedis(async () => {
      for (const id of gone) await state.unselect(benchmark, counted, id);
    });
    return viaRedis(() => state.select(benchmark, counted, run.id, limit));
  }

  async unselect(run: RunView): Promise<void> {
    const { benchmark, counted, state } = this.selectable(run);
    await viaRedis(() => state.unselect(benchmark, counted, run.id));
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
export function boardsOf(
  benchmarks: ReadonlyMap<string, BenchmarkDefinition>,
  index: RunIndex,
  state: BoardState,
  recordExists?: (model: string, id: string) => Promise<boolean>,
): { boards: PrivateBoards; selection: RunSelection } {
  return { boards: new PrivateBoards(benchmarks, index, state), selection: new RunSelection(benchmarks, state, recordExists) };
}
