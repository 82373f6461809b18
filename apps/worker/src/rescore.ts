import type { Job } from 'bullmq';
import {
  type BenchmarkDefinition,
  type DetailsFile,
  type LimitPolicy,
  type RescoreJobData,
  type RescoreOutcome,
  type RunRecord,
  type ScoreHistoryEntry,
  rescoreContainerRunId,
  resolveLimits,
  scoringOf,
} from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import type { RescoreProgressStore, RescoredRuns } from '@modelrun/run-control';
import { InfrastructureError, type ModelRunner } from '@modelrun/runner';
import { type RecordStore, type RescoredDetails, type ResultsStore, applyRescore, historyOf, outcomeOf } from '@modelrun/store';
import { clampLimits } from './run/context';
import { EVALUATOR_REJECTS_EXIT_CODE, REJECTION_NOTE, judgeEvaluation } from './run/evaluation-outcome';
import { DETAILS_READ, judgeDetails } from './run/kept-results';
import { droppedOutput } from './run/faults';
import { logDroppedOutput } from './run/dropped-output';

export interface RescoreDeps {
  runner: ModelRunner;
  store: RecordStore;
  results: ResultsStore;
  /** This worker's benchmarks (its BENCHMARKS_FILE): the current evaluator comes from here. */
  benchmarks: ReadonlyMap<string, BenchmarkDefinition>;
  limits: LimitPolicy;
  progress: RescoreProgressStore;
  /** Where a rewritten record is noted, so an API that missed the job's `completed` event reads it on its rescan. */
  rescored?: RescoredRuns;
  log: Logger;
}

/** The longest failure text kept in a history entry. */
const ENTRY_ERROR_MAX = 500;

/**
 * One run's re-score (issue 19): the benchmark's current evaluator (the run's phase's, where it
 * has its own) on the run's kept predictions; the record gets a history entry and, unless the
 * evaluator failed, the new score. Exactly once: a record that already has this re-score's
 * entry is not evaluated nor rewritten again (a redelivery after a crash between the rewrite
 * and the count only counts), and the count is once per run (RescoreProgressStore).
 */
export async function rescoreRun(deps: RescoreDeps, job: Job<RescoreJobData>): Promise<RescoreOutcome> {
  const { rescoreId, runId, name } = job.data;
  const log = deps.log.child({ runId, rescoreId });
  const record = await deps.store.readRecord(name, runId);
  const outcome = record ? await rescoreRecord(deps, record, rescoreId, log) : 'skipped';
  await deps.progress.count(rescoreId, runId, outcome);
  return outcome;
}

async function rescoreRecord(deps: RescoreDeps, record: RunRecord, rescoreId: string, log: Logger): Promise<RescoreOutcome> {
  const history = historyOf(record);
  const seen = history.findIndex((e) => e.rescoreId === rescoreId);
  if (seen >= 0) return outcomeOf(history, seen);
  const predictions = await deps.results.readPredictions(record.name, record.id);
  if (!predictions) return 'skipped';
  const { entry, details } = await evaluateAgain(deps, record, predictions, rescoreId, log);
  // Read again under the run's lock: another re-score of the run may have written it meanwhile.
  const applied = await deps.progress.withRecordLock(record.id, async () => {
    const fresh = (await deps.store.readRecord(record.name, record.id)) ?? record;
    const next = applyRescore(fresh, entry, details.result);
    if (!next.record) return next;
    // The new evaluator's details replace the old ones, and none (or a broken file) removes
    // them: the latest scoring is the truth. Before the record that names them, as a run's are.
    if (entry.error === undefined) {
      if (details.file) await deps.results.writeDetails(record.name, record.id, details.file);
      else await deps.results.removeDetails(record.name, record.id);
    }
    await deps.store.replaceRecord(next.record);
    return next;
  });
  if (applied.record)
    await deps.rescored?.note(record.id).catch((err: Error) => log.warn('could not note the rewritten record for the API; its completed event still tells it', { error: err.message }));
  log.info('re-scored', { outcome: applied.outcome, score: entry.score, error: entry.error });
  return applied.outcome;
}

/** A re-score's evaluation: its history entry, and what its details came to (a failed one has none). */
interface Evaluated {
  entry: ScoreHistoryEntry & { rescoreId: string };
  details: { file?: DetailsFile; result: RescoredDetails };
}

async function evaluateAgain(deps: RescoreDeps, record: RunRecord, predictions: Buffer, rescoreId: string, log: Logger): Promise<Evaluated> {
  const benchmark = deps.benchmarks.get(record.benchmark!);
  // Another worker (or this one after a fix to its BENCHMARKS_FILE) may have it: retried.
  if (!benchmark) throw new InfrastructureError(`this worker has no benchmark ${JSON.stringify(record.benchmark)} in its BENCHMARKS_FILE`);
  const scoring = scoringOf(benchmark, record.benchmarkPhase);
  if (!scoring) throw new InfrastructureError(`this worker's BENCHMARKS_FILE has no phase ${JSON.stringify(record.benchmarkPhase)} in benchmark ${benchmark.name}`);
  const resolved = resolveLimits(scoring.evaluator.limits, deps.limits);
  if (!resolved.ok) throw new InfrastructureError(`benchmark ${benchmark.name}: evaluator ${resolved.message}`);
  const limits = clampLimits(resolved.limits, deps.limits);
  const containerRunId = rescoreContainerRunId(rescoreId, record.id);
  // A crashed delivery's evaluator is not adopted: it is removed, and the evaluator runs anew on the same predictions.
  await deps.runner.removeEvaluation(containerRunId);
  const spec = {
    runId: containerRunId,
    name: record.name,
    benchmark: benchmark.name,
    image: scoring.evaluator.image,
    limits,
    reference: scoring.reference,
    ...(benchmark.runtime?.evaluator && { runtime: benchmark.runtime.evaluator }),
  };
  const prepared = await deps.runner.prepareEvaluation(spec, { predictions });
  try {
    const evaluator = await deps.runner.start(prepared);
    const exit = await deps.runner.wait(evaluator, limits);
    const readable = !exit.cancelled && !exit.timedOut && !exit.oomKilled && (exit.exitCode === 0 || exit.exitCode === EVALUATOR_REJECTS_EXIT_CODE);
    const output = readable ? await deps.runner.collect(evaluator, { note: REJECTION_NOTE, details: DETAILS_READ }) : undefined;
    const evaluatorImage = await deps.runner.imageIdentity?.(evaluator, scoring.evaluator.image);
    const outcome = judgeEvaluation(benchmark, exit, output, limits, record.exitCode ?? null);
    // The same rule as a run's evaluator (faults.ts): a dropped output is the platform's fault,
    // so the job fails and BullMQ tries it again (its attempts, rescores.ts), with a new evaluator.
    const dropped = droppedOutput(exit, output, outcome, 'evaluator');
    if (dropped) {
      await logDroppedOutput(deps.runner, evaluator, dropped, log, "a re-score's evaluator");
      throw dropped;
    }
    const at = new Date().toISOString();
    const base = { at, rescoreId, ...(evaluatorImage && { evaluatorImage }) };
    if (outcome.status !== 'succeeded') {
      if ('evaluatorError' in outcome) log.warn('the evaluator failed on a re-score', { error: outcome.evaluatorError });
      return { entry: { ...base, error: outcome.error.slice(0, ENTRY_ERROR_MAX) }, details: { result: {} } };
    }
    const verdict = judgeDetails(output?.details);
    if ('error' in verdict) log.warn("the re-scoring evaluator's details are left out", { error: verdict.error });
    const details = 'details' in verdict ? { file: verdict.details, result: { hasDetails: true } } : { result: 'error' in verdict ? { detailsError: verdict.error } : {} };
    return {
      entry: {
        ...base,
        score: outcome.score,
        ...(outcome.metrics && { metrics: outcome.metrics }),
        ...(outcome.privateMetrics && { privateScore: outcome.privateScore!, privateMetrics: outcome.privateMetrics }),
      },
      details,
    };
  } finally {
    await deps.runner.removeEvaluation(containerRunId).catch((err: Error) => log.warn("could not remove a re-score's evaluator", { error: err.message }));
  }
}
