import type { BenchmarkDefinition, BenchmarkEntry, BenchmarkLeaderboard } from '@modelrun/contracts';
import { type RunIndex, currentEvaluators, evaluatorScope, scoredByOlder } from '@modelrun/leaderboard';

/**
 * Marks a board's entries scored by an older evaluator than their benchmark's current one
 * (the image of its most recently scored or re-scored run, @modelrun/leaderboard's
 * evaluator-marks). The current images are kept per benchmark until one of its runs changes
 * (RunIndex.benchmarkVersion), so a page costs its entries, and a change its benchmark's runs.
 */
export class BoardEvaluators {
  private readonly cached = new Map<string, { version: number; current: Map<string, string> }>();

  constructor(private readonly index: RunIndex) {}

  private currentOf(definition: BenchmarkDefinition): Map<string, string> {
    const version = this.index.benchmarkVersion(definition.name);
    let cached = this.cached.get(definition.name);
    if (cached?.version !== version) {
      cached = { version, current: currentEvaluators(definition, this.index.benchmarkRuns(definition.name)) };
      this.cached.set(definition.name, cached);
    }
    return cached.current;
  }

  /** The board's current evaluator (its phase's scope, or the benchmark's own for the whole board) and each entry with `olderEvaluator` where known. */
  mark(definition: BenchmarkDefinition, phase: string | undefined, entries: BenchmarkEntry[]): Pick<BenchmarkLeaderboard, 'entries' | 'currentEvaluator'> {
    const current = this.currentOf(definition);
    const scope = phase === undefined ? 'benchmark' : evaluatorScope(definition, { createdAt: definition.phases?.find((p) => p.name === phase)?.start ?? '' });
    const image = current.get(scope);
    return {
      entries: entries.map((e) => {
        const older = scoredByOlder(definition, current, e.bestRun);
        return older === undefined ? e : { ...e, olderEvaluator: older };
      }),
      ...(image !== undefined && { currentEvaluator: image }),
    };
  }
}
