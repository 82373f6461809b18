import type { AppliedLimits, BenchmarkDefinition } from '@modelrun/contracts';
import { type ExitInfo, type OutputContents, type Outcome, classify } from '@modelrun/runner';

/** An evaluator exits with this code to reject the predictions (wrong format, missing items): the model's fault. */
export const EVALUATOR_REJECTS_EXIT_CODE = 3;

/** A run's outcome, with what only the operator is told when the evaluator failed. */
export type EvaluatedOutcome = Outcome & { evaluatorError?: string };

/**
 * What the evaluator's end means for the run. Its score.json is read like a model's, and must
 * hold every metric the benchmark declares; the run's score is the primary metric. The
 * submitter is told that the evaluator failed and how, in the platform's words; the evaluator's
 * own output (which may quote the reference data) goes to the operator only.
 */
export function judgeEvaluation(benchmark: BenchmarkDefinition, exit: ExitInfo, output: OutputContents | undefined, limits: AppliedLimits, modelExitCode: number | null): EvaluatedOutcome {
  const raw = classify(exit, output, limits);
  if (raw.status !== 'succeeded') {
    if (raw.status === 'cancelled') return { ...raw, exitCode: modelExitCode };
    if (raw.reason === 'exit_code' && exit.exitCode === EVALUATOR_REJECTS_EXIT_CODE) {
      return {
        status: 'failed',
        reason: 'bad_output',
        error: `benchmark ${benchmark.name}: the evaluator rejected the predictions (see the benchmark's description for what it expects)`,
        exitCode: modelExitCode,
      };
    }
    return evaluatorFailed(benchmark, `${raw.reason}: ${raw.error.replace(/^the model\b/, 'the evaluator').replace(/\bthe model\b/g, 'the evaluator')}`, modelExitCode);
  }
  const metrics = raw.metrics ?? {};
  const missing = benchmark.metrics.map((m) => m.name).filter((name) => metrics[name] === undefined);
  if (missing.length) return evaluatorFailed(benchmark, `its score.json lacks the metric${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that the benchmark declares`, modelExitCode);
  return { status: 'succeeded', score: metrics[benchmark.primaryMetric]!, metrics, exitCode: modelExitCode ?? 0 };
}

function evaluatorFailed(benchmark: BenchmarkDefinition, why: string, modelExitCode: number | null): EvaluatedOutcome {
  const short = why.split(':')[0];
  return {
    status: 'failed',
    reason: 'evaluator_failed',
    error: `benchmark ${benchmark.name}: the evaluator could not score this run (${short}); the operator has been told why`,
    exitCode: modelExitCode,
    evaluatorError: `evaluator ${benchmark.evaluator.image}: ${why}`,
  };
}
