import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '@modelrun/config';
import { RESCORE_QUEUE, type RescoreJobData, type RescoreOutcome } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import { RescoreProgressStore } from '@modelrun/run-control';
import type { ModelRunner } from '@modelrun/runner';
import { type RecordStore, ResultsStore } from '@modelrun/store';
import { stallOptions } from './run/faults';
import { rescoreRun } from './rescore';

/**
 * Re-scores at once per worker: half its run slots (at least one), beside its runs, so a bulk
 * re-score moves on without taking the engine from submissions.
 */
export function rescoreConcurrency(runSlots: number): number {
  return Math.max(1, Math.floor(runSlots / 2));
}

/**
 * The worker's consumer of the re-score queue (issue 19), for a worker with benchmarks. A job
 * whose worker died is redelivered (BullMQ's stalled check) and is safe to run again (rescore.ts);
 * one that failed all its tries is counted as failed, so the re-score's progress still ends.
 */
export function consumeRescores(config: WorkerConfig, redis: Redis, runner: ModelRunner, store: RecordStore, log: Logger): Worker<RescoreJobData, RescoreOutcome> | undefined {
  if (config.benchmarks.size === 0) return undefined;
  const progress = new RescoreProgressStore(redis, config.deployment);
  const deps = { runner, store, results: new ResultsStore(config.dataDir), benchmarks: config.benchmarks, limits: config.limits, progress, log };
  const w = new Worker<RescoreJobData, RescoreOutcome>(RESCORE_QUEUE, (job: Job<RescoreJobData>) => rescoreRun(deps, job), {
    connection: redis,
    prefix: config.deployment,
    concurrency: rescoreConcurrency(config.concurrency),
    lockDuration: config.lockMs,
    stalledInterval: config.stalledIntervalMs,
    ...stallOptions(config),
  });
  w.on('error', (err) => log.warn('re-score worker error', errorFields(err)));
  w.on('failed', (job: Job<RescoreJobData> | undefined, err: Error) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    log.warn('a re-score gave up', { runId: job.data.runId, rescoreId: job.data.rescoreId, error: err.message });
    void progress.count(job.data.rescoreId, job.data.runId, 'failed').catch(() => undefined);
  });
  return w;
}
