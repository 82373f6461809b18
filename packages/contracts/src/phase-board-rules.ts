import { type BenchmarkDefinition, type BoardRule, DEFAULT_SELECT_LIMIT, boardOf } from './benchmark';

// A board rule per phase (issue 19): a phase of BENCHMARKS_FILE may say its own `board`; a phase
// without one, and the whole benchmark's board, follow the benchmark's. Shared by the API's boards,
// the selection (whose limit counts per phase) and retention (which runs stand).

/** The rule of a board: the benchmark's whole board (`phase` undefined) or one phase's. */
export function boardIn(benchmark: Pick<BenchmarkDefinition, 'board' | 'phases'>, phase: string | undefined): { rule: BoardRule; selectLimit?: number } {
  const own = phase === undefined ? undefined : benchmark.phases?.find((p) => p.name === phase)?.board;
  if (!own) return boardOf(benchmark);
  return own.rule === 'selected' ? { rule: 'selected', selectLimit: own.selectLimit ?? DEFAULT_SELECT_LIMIT } : { rule: own.rule };
}

/** Whether some board of the benchmark (its own or a phase's) ranks by the `selected` rule: its runs may be selected. */
export function anyBoardSelects(benchmark: Pick<BenchmarkDefinition, 'board' | 'phases'>): boolean {
  return boardOf(benchmark).rule === 'selected' || (benchmark.phases ?? []).some((p) => p.board?.rule === 'selected');
}
