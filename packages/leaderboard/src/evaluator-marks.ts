import { type BenchmarkDefinition, type RunSummary, phaseOfTime } from '@modelrun/contracts';

// Which runs of a board an older evaluator scored (issue 19). The API has no engine to resolve
// the configured tag (`modelrun/digits-evaluator:latest`) to a digest, so a benchmark's
// **current** evaluator is the one that scored or re-scored its runs most recently: after a bulk
// re-score with a fixed evaluator, the runs it has not reached are the older ones. The runs are
// grouped by the evaluator configuration that scores them (a phase with its own evaluator, else
// the benchmark's), so a phase's own evaluator never makes the other phases' runs look old.

/** The evaluator configuration a run is scored under: its phase's own evaluator (`phase:<name>`), else the benchmark's (`benchmark`). */
export function evaluatorScope(definition: Pick<BenchmarkDefinition, 'phases'>, run: Pick<RunSummary, 'createdAt'>): string {
  const phase = definition.phases && phaseOfTime(definition, run.createdAt);
  return phase?.evaluator ? `phase:${phase.name}` : 'benchmark';
}

/** Per scope, the evaluator image of the succeeded run scored last (by scoredAt; a tie to the later run id). */
export function currentEvaluators(definition: Pick<BenchmarkDefinition, 'phases'>, runs: Iterable<RunSummary>): Map<string, string> {
  const latest = new Map<string, { at: string; id: string; image: string }>();
  for (const run of runs) {
    if (run.status !== 'succeeded' || run.evaluatorImage === undefined || run.scoredAt === undefined) continue;
    const scope = evaluatorScope(definition, run);
    const known = latest.get(scope);
    if (!known || run.scoredAt > known.at || (run.scoredAt === known.at && run.id > known.id)) latest.set(scope, { at: run.scoredAt, id: run.id, image: run.evaluatorImage });
  }
  return new Map([...latest].map(([scope, l]) => [scope, l.image]));
}

/** Whether a run was scored by another evaluator than its scope's current one; undefined when either is unknown (a run recorded before evaluator images were). */
export function scoredByOlder(definition: Pick<BenchmarkDefinition, 'phases'>, current: ReadonlyMap<string, string>, run: RunSummary): boolean | undefined {
  const now = current.get(evaluatorScope(definition, run));
  if (now === undefined || run.evaluatorImage === undefined) return undefined;
  return run.evaluatorImage !== now;
}
