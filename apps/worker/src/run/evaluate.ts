import { type AppliedLimits, type BenchmarkDefinition, type RunJobData, resolveLimits, scoringOf } from '@modelrun/contracts';
import { type ContainerHandle, InfrastructureError, type Outcome, classifyExit } from '@modelrun/runner';
import { type AdmittedRun, type ProcessorDeps, type RunContext, clampLimits } from './context';
import type { Collected } from './collect';
import type { Executed } from './execute';
import { isVolumeError } from '../recording/volume-health';
import { EVALUATOR_REJECTS_EXIT_CODE, REJECTION_NOTE, judgeEvaluation } from './evaluation-outcome';
import { ATTR, inSpan } from '@modelrun/telemetry';
import { outcomeAttributes } from './record';
import { DETAILS_READ, keepResults, predictionsKeeper } from './kept-results';
import { droppedOutput } from './faults';
import { logDroppedOutput } from './dropped-output';

/**
 * A benchmark run's second step, after its model stopped: the model's score.json means nothing
 * here. If the model ended cleanly, its output goes (as predictions) to the benchmark's trusted
 * evaluator, which alone sees the reference data and writes the run's score. Phases
 * `collecting` → `evaluating`. A redelivery adopts the evaluator's container as it adopts the
 * model's. The run's log stays the model's own output; the evaluator's goes to the operator.
 */
export function evaluate(deps: ProcessorDeps, ctx: AdmittedRun, executed: Executed, cancel: AbortSignal): Promise<Collected> {
  return inSpan('run.evaluate', { [ATTR.benchmark]: ctx.run.benchmark ?? '' }, async (span) => {
    const collected = await evaluateOutput(deps, ctx, executed, cancel);
    span.setAttributes(outcomeAttributes(collected.outcome));
    return collected;
  });
}

async function evaluateOutput(deps: ProcessorDeps, ctx: AdmittedRun, { handle, exit, followed }: Executed, cancel: AbortSignal): Promise<Collected> {
  ctx.progress('collecting', { ...(handle.startedAt && { startedAt: handle.startedAt }) });
  const logs = (await followed) ?? (await deps.runner.logs(handle));
  const startedAt = exit.startedAt ?? handle.startedAt;
  const modelFailed = classifyExit(exit, ctx.limits);
  if (modelFailed) return { outcome: modelFailed, times: { startedAt, finishedAt: exit.finishedAt }, logs };

  const { benchmark, scoring } = scoringFor(deps, ctx.run);
  const limits = evaluatorLimits(deps, benchmark, scoring.evaluator.limits);
  ctx.progress('evaluating', { ...(startedAt && { startedAt }) });
  // An evaluator that asks for GPUs gets some of the run's own devices: the model has stopped, and no other run may have them.
  const gpuDevices = limits.gpus > 0 ? (ctx.gpuDevices ?? []).slice(0, limits.gpus) : undefined;
  const spec = {
    runId: ctx.run.id,
    name: ctx.run.name,
    benchmark: benchmark.name,
    image: scoring.evaluator.image,
    limits,
    reference: scoring.reference,
    owner: ctx.claim.owner,
    ...(gpuDevices && { gpuDevices }),
    ...(benchmark.runtime?.evaluator && { runtime: benchmark.runtime.evaluator }),
  };
  const prepared = await deps.runner.prepareEvaluation(spec, handle, predictionsKeeper(deps, ctx));
  ctx.log.info(prepared.adopted ? "adopted the run's evaluator container" : 'evaluator container created', { containerId: prepared.id, state: prepared.state });
  const evaluator = await deps.runner.start(prepared);
  const evalExit = await deps.runner.wait(evaluator, limits, { cancel, handback: deps.handback });
  // Exit 0 (a score) and exit 3 (a rejection, maybe with its message.txt) are read; other ends are not.
  const readable = !evalExit.cancelled && !evalExit.timedOut && !evalExit.oomKilled && (evalExit.exitCode === 0 || evalExit.exitCode === EVALUATOR_REJECTS_EXIT_CODE);
  const [output, evalLogs] = await Promise.all([readable ? deps.runner.collect(evaluator, { note: REJECTION_NOTE, details: DETAILS_READ }) : undefined, deps.runner.logs(evaluator)]);
  const outcome = judgeEvaluation(benchmark, evalExit, output, limits, exit.exitCode);
  const dropped = droppedOutput(evalExit, output, outcome, 'evaluator');
  if (dropped) {
    await logDroppedOutput(deps.runner, evaluator, dropped, ctx.log, "the run's evaluator");
    // Retried as the model's dropped output is: the retry must make a new evaluator (with a new
    // keeper), never adopt this one, whose output is gone. The model's container is adopted.
    await deps.runner.removeEvaluation(ctx.run.id).catch((err: Error) => ctx.log.warn('could not remove the evaluator whose output was dropped; the retry does', { error: err.message }));
    throw dropped;
  }
  await keepEvaluatorLog(deps, ctx, evaluator, evalLogs.bytes, outcome);
  const results = await keepResults(deps, ctx, evaluator, benchmark.evaluator.image, outcome, output);
  return { outcome, times: { startedAt, finishedAt: evalExit.finishedAt ?? exit.finishedAt }, logs, results };
}

/** The worker's own definition of a job's benchmark; InfrastructureError (retried) when it has none. */
export function benchmarkOf(deps: ProcessorDeps, name: string): BenchmarkDefinition {
  const benchmark = deps.benchmarks?.get(name);
  // A worker without the benchmark cannot score the run; another worker (or this one after a
  // fix to its BENCHMARKS_FILE) may: the platform's fault, retried.
  if (!benchmark) throw new InfrastructureError(`this worker has no benchmark ${JSON.stringify(name)} in its BENCHMARKS_FILE`);
  return benchmark;
}

/**
 * The job's benchmark and what scores it: the evaluator and reference of the phase the run was
 * submitted in (else the benchmark's), from this worker's own file; InfrastructureError
 * (retried) when it has neither the benchmark nor the phase.
 */
export function scoringFor(deps: ProcessorDeps, run: Pick<RunJobData, 'benchmark' | 'benchmarkPhase'>): { benchmark: BenchmarkDefinition; scoring: NonNullable<ReturnType<typeof scoringOf>> } {
  const benchmark = benchmarkOf(deps, run.benchmark!);
  const scoring = scoringOf(benchmark, run.benchmarkPhase);
  if (!scoring) throw new InfrastructureError(`this worker's BENCHMARKS_FILE has no phase ${JSON.stringify(run.benchmarkPhase)} in benchmark ${benchmark.name}`);
  return { benchmark, scoring };
}

function evaluatorLimits(deps: ProcessorDeps, benchmark: BenchmarkDefinition, requested: BenchmarkDefinition['evaluator']['limits']): AppliedLimits {
  const resolved = resolveLimits(requested, deps.limits);
  if (!resolved.ok) throw new InfrastructureError(`benchmark ${benchmark.name}: evaluator ${resolved.message}`);
  return clampLimits(resolved.limits, deps.limits);
}

/** The evaluator's output is the operator's: on the volume beside the run's log, never served. */
async function keepEvaluatorLog(deps: ProcessorDeps, ctx: RunContext, evaluator: ContainerHandle, bytes: Buffer, outcome: Outcome & { evaluatorError?: string }): Promise<void> {
  await deps.store.writeEvaluatorLog(ctx.run.name, ctx.run.id, bytes).catch((err: unknown) => {
    // A diagnostic for the operator: a volume that refuses it must not cost the run its outcome,
    // which the recorder keeps in Redis until the volume takes it.
    if (!isVolumeError(err)) throw err;
    ctx.log.warn('the volume refused the evaluator log; it is not kept', { error: (err as Error).message });
  });
  if (outcome.evaluatorError) {
    ctx.log.warn('the evaluator failed', { containerId: evaluator.id, error: outcome.evaluatorError, logTail: bytes.subarray(-2048).toString('utf8') });
  } else {
    ctx.log.info('evaluated', { status: outcome.status, score: outcome.status === 'succeeded' ? outcome.score : undefined });
  }
}
