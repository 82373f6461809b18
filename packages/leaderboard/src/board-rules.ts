import { type BenchmarkDefinition, type BoardRule, type MetricDirection, type RunSummary, boardOf } from '@modelrun/contracts';
import type { BoardEntry } from './benchmark-boards';

/** A benchmark's run with its private metrics, which the index keeps apart from the summary (see RunIndex.privateMetricsOf). */
export interface RankedRun {
  run: RunSummary;
  privateMetrics?: Record<string, number>;
}

/** A row of a board: a model, the run that stands for it, and the metrics that rank it (public or private). */
export interface RuledEntry extends BoardEntry {
  metrics: Record<string, number>;
}

export interface RuleInput {
  definition: BenchmarkDefinition;
  /** The benchmark's runs (any status; only succeeded runs with the primary metric count). */
  runs: Iterable<RankedRun>;
  board: 'public' | 'private';
  /** Run ids submitters selected (the `selected` rule's private board). */
  selected?: ReadonlySet<string>;
  /** The board's rule (a phase's, boardIn); default the benchmark's. */
  rule?: { rule: BoardRule; selectLimit?: number };
}

/**
 * Which run stands for each model on a board, by the benchmark's rule (issue 19):
 * - `best`: its best run by the public primary metric (ties to the earlier run);
 * - `last`: its latest scored run;
 * - `selected`: on the public board as `best`; on the private board its selected runs (up to
 *   selectLimit), or, if it selected none, its selectLimit best public runs (Kaggle), and of
 *   those the best by the private primary metric.
 * The private board ranks by the chosen run's private metrics: the run is chosen from what the
 * submitter could see (public scores, their selection), never by the private score itself,
 * except among the runs they selected. A model whose chosen run has no private score is left off it.
 */
export function chooseRuns(input: RuleInput): RuledEntry[] {
  const { definition, board } = input;
  const primary = definition.primaryMetric;
  const direction = definition.metrics.find((m) => m.name === primary)!.direction;
  const { rule, selectLimit } = input.rule ?? boardOf(definition);
  const byModel = new Map<string, RankedRun[]>();
  for (const r of input.runs) {
    if (r.run.benchmark !== definition.name || r.run.status !== 'succeeded' || r.run.metrics?.[primary] === undefined) continue;
    const list = byModel.get(r.run.name);
    if (list) list.push(r);
    else byModel.set(r.run.name, [r]);
  }
  const publicBetter = (a: RankedRun, b: RankedRun) => better(direction, a.run.metrics![primary]!, b.run.metrics![primary]!, a.run.id, b.run.id);
  const entries: RuledEntry[] = [];
  for (const [name, runs] of byModel) {
    let chosen: RankedRun | undefined;
    if (rule === 'last') chosen = runs.reduce((a, b) => (b.run.id > a.run.id ? b : a));
    else if (rule === 'best' || board === 'public') chosen = runs.reduce((a, b) => (publicBetter(b, a) ? b : a));
    else {
      // In id order, so that which selected runs count (at most selectLimit) does not depend on the order runs came in.
      const picked = runs.filter((r) => input.selected?.has(r.run.id)).sort((a, b) => (a.run.id < b.run.id ? -1 : 1));
      const candidates = picked.length > 0 ? picked.slice(0, selectLimit) : [...runs].sort((a, b) => (publicBetter(a, b) ? -1 : 1)).slice(0, selectLimit);
      chosen = candidates
        .filter((r) => r.privateMetrics?.[primary] !== undefined)
        .reduce<RankedRun | undefined>((a, b) => (!a || better(direction, b.privateMetrics![primary]!, a.privateMetrics![primary]!, b.run.id, a.run.id) ? b : a), undefined);
    }
    const metrics = board === 'public' ? chosen?.run.metrics : chosen?.privateMetrics;
    if (!chosen || metrics?.[primary] === undefined) continue;
    entries.push({ name, scoredRuns: runs.length, best: chosen.run, metrics });
  }
  return entries;
}

/** Better in `direction`; on a tie the earlier run (ids are time-ordered). */
function better(direction: MetricDirection, a: number, b: number, aId: string, bId: string): boolean {
  if (a === b) return aId < bId;
  return direction === 'higher' ? a > b : a < b;
}

/** Sorted by `metric` of each entry's ranking metrics, best first in `direction`; entries without it last; ties to the earlier run. */
export function sortRuled(entries: RuledEntry[], metric: string, direction: MetricDirection): RuledEntry[] {
  const sign = direction === 'higher' ? -1 : 1;
  const keyed = entries.map((entry) => {
    const v = entry.metrics[metric];
    return { entry, missing: v === undefined, key: v === undefined ? 0 : sign * v, id: entry.best.id };
  });
  keyed.sort((a, b) => (a.missing !== b.missing ? (a.missing ? 1 : -1) : a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  return keyed.map((k) => k.entry);
}
