import { type BenchmarkDefinition, parseScoreFile } from '@modelrun/contracts';
import type { OutputContents } from '@modelrun/runner';

export type PrivatePart = { ok: true; part: { privateScore?: number; privateMetrics?: Record<string, number> } } | { ok: false; why: string };

/**
 * The evaluator's score on the private part of the reference (issue 19): score.json's optional
 * `private` object, held to the public part's rules (every declared metric; the score is the
 * primary metric's). None is fine: the benchmark then has only a public board.
 */
export function readPrivatePart(benchmark: BenchmarkDefinition, output: OutputContents | undefined): PrivatePart {
  // classify() has already parsed the file for the public part; a file it accepted parses again.
  const parsed = output?.score?.file === 'score.json' ? parseScoreFile('score.json', output.score.bytes) : undefined;
  const part = parsed?.ok ? parsed.value.private : undefined;
  if (!part) return { ok: true, part: {} };
  const missing = benchmark.metrics.map((m) => m.name).filter((name) => part.metrics[name] === undefined);
  if (missing.length) return { ok: false, why: `its score.json's private part lacks the metric${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that the benchmark declares` };
  return { ok: true, part: { privateScore: part.metrics[benchmark.primaryMetric]!, privateMetrics: part.metrics } };
}
