import type { AppliedLimits, BenchmarkDefinition } from '@modelrun/contracts';
import { type ExitInfo, type OutputContents, type Outcome, classify } from '@modelrun/runner';
import { readPrivatePart } from './private-part';

/** An evaluator exits with this code to reject the predictions (wrong format, missing items): the model's fault. */
export const EVALUATOR_REJECTS_EXIT_CODE = 3;
/** What a rejecting evaluator may write to its /output for the submitter: at most 1 KiB of text, shown as it is. */
export const REJECTION_NOTE = 'message.txt';

/** A run's outcome, with what only the operator is told when the evaluator failed. */
export type EvaluatedOutcome = Outcome & { evaluatorError?: string; privateScore?: number; privateMetrics?: Record<string, number> };

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
      const note = noteText(output?.note);
      return {
        status: 'failed',
        reason: 'bad_output',
        error: `benchmark ${benchmark.name}: the evaluator rejected the predictions${note ? `: ${note}` : " (see the benchmark's description for what it expects)"}`,
        exitCode: modelExitCode,
      };
    }
    return evaluatorFailed(benchmark, `${raw.reason}: ${raw.error.replace(/^the model\b/, 'the evaluator').replace(/\bthe model\b/g, 'the evaluator')}`, modelExitCode);
  }
  const metrics = raw.metrics ?? {};
  const missing = benchmark.metrics.map((m) => m.name).filter((name) => metrics[name] === undefined);
  if (missing.length) return evaluatorFailed(benchmark, `its score.json lacks the metric${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that the benchmark declares`, modelExitCode);
  const privatePart = readPrivatePart(benchmark, output);
  if (!privatePart.ok) return evaluatorFailed(benchmark, privatePart.why, modelExitCode);
  return { status: 'succeeded', score: metrics[benchmark.primaryMetric]!, metrics, exitCode: modelExitCode ?? 0, ...privatePart.part };
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

/** The evaluator's message for the submitter, as one line of printable text; undefined if there is none or it is not UTF-8. */
export function noteText(bytes: Buffer | undefined): string | undefined {
  if (!bytes?.length) return undefined;
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) return undefined;
  // Control characters (terminal escapes, newlines) become spaces: the error is one line.
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return line || undefined;
}
