import { type AppliedLimits, type AttemptError, type FailureReason, type RunJobData, type RunRecord, quotaScope } from '@modelrun/contracts';
import type { Outcome } from '@modelrun/runner';
import type { EvaluatedOutcome } from './evaluation-outcome';
import type { Recorded } from '../recording/recorder';
import type { AdmittedRun, ProcessorDeps, RunContext, RunTimes } from './context';
import { countAttempts, mayHaveKeptErrors } from './faults';
import { assertOwner } from './own';
import type { KeptResults } from './kept-results';
import { ATTR, inSpan } from '@modelrun/telemetry';

export interface RecordTimes {
  startedAt?: string;
  finishedAt: string;
}

/** The lasting record of a run from how it ended. */
export function buildRecord(run: RunJobData, limits: AppliedLimits, outcome: Outcome, times: RecordTimes, attempts: number, attemptErrors: AttemptError[], logBytes?: number): RunRecord {
  const durationMs = times.startedAt ? Math.max(0, Date.parse(times.finishedAt) - Date.parse(times.startedAt)) : undefined;
  return {
    version: 1,
    id: run.id,
    name: run.name,
    image: run.image,
    ...(run.benchmark && { benchmark: run.benchmark }),
    ...(run.submittedBy && { submittedBy: run.submittedBy }),
    ...(run.rerunOf && { rerunOf: run.rerunOf }),
    ...(run.requestedBy && { requestedBy: run.requestedBy }),
    status: outcome.status,
    ...(outcome.status === 'succeeded' ? { score: outcome.score, ...(outcome.metrics && { metrics: outcome.metrics }) } : { reason: outcome.reason, error: outcome.error }),
    exitCode: outcome.exitCode,
    limits,
    createdAt: run.createdAt,
    ...(times.startedAt && { startedAt: times.startedAt }),
    finishedAt: times.finishedAt,
    ...(durationMs !== undefined && { durationMs }),
    attempts,
    ...(attemptErrors.length > 0 && { attemptErrors }),
    ...(logBytes !== undefined && { logBytes }),
    ...('evaluatorError' in outcome && typeof outcome.evaluatorError === 'string' && { evaluatorError: outcome.evaluatorError }),
    ...(run.benchmarkPhase && { benchmarkPhase: run.benchmarkPhase }),
    ...privatePartOf(outcome),
  };
}

/** A benchmark run's scores on the private part of the reference (issue 19), when its evaluator wrote them. */
function privatePartOf(outcome: Outcome): Pick<RunRecord, 'privateScore' | 'privateMetrics'> {
  const part = outcome as EvaluatedOutcome;
  return outcome.status === 'succeeded' && part.privateMetrics ? { privateScore: part.privateScore!, privateMetrics: part.privateMetrics } : {};
}

/** An outcome decided before or without a container's exit (image missing, cancelled, given up). */
export function failure(reason: FailureReason, error: string, exitCode: number | null = null): Outcome {
  return { status: reason === 'cancelled' ? 'cancelled' : 'failed', reason, error, exitCode };
}

/**
 * Records the run, once (see Recorder): another delivery that recorded it first wins, and its
 * record is returned. A volume that cannot take the record leaves it pending in Redis.
 */
export function recordRun(deps: ProcessorDeps, ctx: AdmittedRun, outcome: Outcome, times: RunTimes, logs?: Buffer, results?: KeptResults): Promise<Recorded> {
  return inSpan('run.record', outcomeAttributes(outcome), async (span) => {
    const recorded = await keepRecord(deps, ctx, outcome, times, logs, results);
    // Pending: the volume refused it, and the recorder keeps it in Redis until it takes it.
    span.setAttribute('modelrun.record.pending', recorded.pending);
    return recorded;
  });
}

/** A run's outcome as span attributes. */
export function outcomeAttributes(outcome: Outcome): Record<string, string> {
  return { [ATTR.outcome]: outcome.status, ...(outcome.status !== 'succeeded' && { [ATTR.reason]: outcome.reason }) };
}

async function keepRecord(deps: ProcessorDeps, ctx: AdmittedRun, outcome: Outcome, times: RunTimes, logs?: Buffer, results?: KeptResults): Promise<Recorded> {
  const { run, attempt, log } = ctx;
  const attemptErrors = mayHaveKeptErrors(attempt, ctx.claim.owner.fence) ? await deps.control.attemptErrors(run.id) : [];
  const finished = { ...times, finishedAt: times.finishedAt ?? new Date().toISOString() };
  const imageDigest = ctx.imagePin ? ctx.imagePin.digest : await deps.control.pinnedImage(run.id).catch(() => undefined);
  // The host that ran this last try (each failed one names its own in its attempt error), and the image it really ran.
  const rec: RunRecord = {
    ...buildRecord(run, ctx.limits, outcome, finished, countAttempts(attempt, attemptErrors.length, outcome), attemptErrors, logs?.length),
    host: deps.hostId,
    ...(imageDigest && { imageDigest }),
    ...results,
  };
  // Fencing: a delivery whose host lost the run (another host took it over) records nothing.
  // Checked while the files are written to temp files, before either is put in place.
  const recorded = await deps.recorder.record(rec, logs, log, () => assertOwner(deps, ctx));
  // Recorded or kept pending, the run has ended: its quota goes back either way.
  await releaseQuota(deps, ctx, recorded.record);
  const fields = { status: rec.status, reason: rec.reason, score: rec.score, exitCode: rec.exitCode, durationMs: rec.durationMs };
  if (recorded.pending) log.warn('run finished; its record waits for the volume', fields);
  else log.info('run recorded', fields);
  return recorded;
}

/**
 * A benchmark run has ended: its caller's running slot is free, and unless it succeeded its
 * place in the day too. Safe to repeat; a failure to reach Redis is logged, not thrown: the run
 * is recorded, and a slot never given back frees itself after a day (QuotaLedger).
 */
export async function releaseQuota(deps: Pick<ProcessorDeps, 'quotas'>, ctx: Pick<RunContext, 'run' | 'log'>, record: RunRecord): Promise<void> {
  const { run } = ctx;
  if (!deps.quotas || !run.benchmark || !run.caller) return;
  await deps.quotas.release(quotaScope(run.benchmark, run.benchmarkPhase), run.caller, run.id, record.status === 'succeeded').catch((err: Error) => {
    ctx.log.warn("could not give back the run's quota", { error: err.message });
  });
}
