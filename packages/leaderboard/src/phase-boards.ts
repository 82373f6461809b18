import { type BenchmarkDefinition, type RunSummary, phaseOfTime } from '@modelrun/contracts';
import { type BoardEntry, type BoardListOptions, BenchmarkBoards } from './benchmark-boards';

/**
 * A leaderboard per phase of each benchmark with phases (`?phase=` of the benchmark's board):
 * the same boards as BenchmarkBoards, each holding only the runs submitted in its phase. A run's
 * phase is the one whose window holds its createdAt: the API admits a run to the phase open at
 * the time it stamps as createdAt, so this is the phase its record names, and the index's
 * summaries need no field of their own. Each phase board is a BenchmarkBoards board named
 * `benchmark/phase` (no benchmark name has a `/`), fed with the runs relabelled so.
 */
export class PhaseBoards {
  private readonly boards: BenchmarkBoards;
  private readonly definitions = new Map<string, BenchmarkDefinition>();

  constructor(definitions: Iterable<BenchmarkDefinition> = []) {
    const phased: BenchmarkDefinition[] = [];
    for (const d of definitions) {
      if (!d.phases) continue;
      this.definitions.set(d.name, d);
      for (const p of d.phases) phased.push({ ...d, name: boardName(d.name, p.name) });
    }
    this.boards = new BenchmarkBoards(phased);
  }

  /** Whether `benchmark` has a phase named `phase`. */
  has(benchmark: string, phase: string): boolean {
    return this.definitions.get(benchmark)?.phases?.some((p) => p.name === phase) ?? false;
  }

  clear(): void {
    this.boards.clear();
  }

  /** A run of a model changed (BenchmarkBoards.update): only its phase's board follows. */
  update(run: RunSummary, firstScored: boolean, modelRuns: () => readonly RunSummary[]): void {
    const relabelled = this.relabel(run);
    if (relabelled) this.boards.update(relabelled, firstScored, () => this.inPhase(relabelled.benchmark!, modelRuns()));
  }

  /** A run of a model is gone (BenchmarkBoards.removed). */
  removed(run: RunSummary, modelRuns: () => readonly RunSummary[]): void {
    const relabelled = this.relabel(run);
    if (relabelled) this.boards.removed(relabelled, () => this.inPhase(relabelled.benchmark!, modelRuns()));
  }

  /** @returns undefined for an unknown benchmark or phase, or a metric the benchmark does not have. */
  list(benchmark: string, phase: string, opts: BoardListOptions): { total: number; entries: BoardEntry[] } | undefined {
    const listed = this.boards.list(boardName(benchmark, phase), opts);
    // The board's runs carry its own name; the caller sees the benchmark's.
    return listed && { total: listed.total, entries: listed.entries.map((e) => ({ ...e, best: { ...e.best, benchmark } })) };
  }

  /** The run as its phase's board knows it; undefined when it is in no phase of a benchmark with phases. */
  private relabel(run: RunSummary): RunSummary | undefined {
    const definition = run.benchmark !== undefined ? this.definitions.get(run.benchmark) : undefined;
    const phase = definition && phaseOfTime(definition, run.createdAt);
    return phase && { ...run, benchmark: boardName(definition.name, phase.name) };
  }

  private inPhase(board: string, runs: readonly RunSummary[]): RunSummary[] {
    const out: RunSummary[] = [];
    for (const r of runs) {
      const relabelled = this.relabel(r);
      if (relabelled?.benchmark === board) out.push(relabelled);
    }
    return out;
  }
}

function boardName(benchmark: string, phase: string): string {
  return `${benchmark}/${phase}`;
}
