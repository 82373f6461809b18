import { type BenchmarkDefinition, boardIn } from '@modelrun/contracts';
import { type RunIndex, chooseRuns } from '@modelrun/leaderboard';

/**
 * The runs a board stands on, which retention must never remove (issue 19): on the self-scored
 * leaderboard each model's best run; on each benchmark's public and private boards, whole and
 * per phase, the run its rule (the phase's own, where it has one) shows for each model. Under the `selected` rule every run that
 * could come to stand on the private board is kept as well (the submitter's selected runs and
 * the selectLimit best public ones): removing one of those could change which run stands.
 * @param selected run ids selected per benchmark (BoardState.selected).
 */
export function standingRuns(index: RunIndex, benchmarks: Iterable<BenchmarkDefinition>, selected: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  const standing = new Set<string>();
  for (const name of index.modelNames()) {
    const best = index.getModel(name, { offset: 0, limit: 0 })?.bestRun;
    if (best) standing.add(best.id);
  }
  for (const definition of benchmarks) {
    const picked = selected.get(definition.name) ?? new Set<string>();
    // The whole board by the benchmark's rule, and each phase's board by the phase's (boardIn).
    const scopes = [undefined, ...(definition.phases ?? []).map((p) => p.name)].map((phase) => ({
      runs: [...index.benchmarkRuns(definition.name, phase)].map((run) => ({ run, privateMetrics: index.privateMetricsOf(run.id) })),
      rule: boardIn(definition, phase),
    }));
    for (const { runs, rule } of scopes) {
      for (const board of ['public', 'private'] as const) for (const entry of chooseRuns({ definition, runs, board, selected: picked, rule })) standing.add(entry.best.id);
      if (rule.rule !== 'selected') continue;
      for (const r of runs) if (picked.has(r.run.id)) standing.add(r.run.id);
      // The selectLimit best public runs of each model: the private board's candidates when it selected none.
      const primary = definition.primaryMetric;
      const higher = definition.metrics.find((m) => m.name === primary)!.direction === 'higher';
      const byModel = new Map<string, { id: string; value: number }[]>();
      for (const { run } of runs) {
        const value = run.metrics?.[primary];
        if (run.status !== 'succeeded' || value === undefined) continue;
        const list = byModel.get(run.name) ?? [];
        list.push({ id: run.id, value });
        byModel.set(run.name, list);
      }
      for (const list of byModel.values()) {
        list.sort((a, b) => (a.value === b.value ? (a.id < b.id ? -1 : 1) : higher ? b.value - a.value : a.value - b.value));
        for (const r of list.slice(0, rule.selectLimit)) standing.add(r.id);
      }
    }
  }
  return standing;
}
