import { type Job, type Queue, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '@modelrun/config';
import { RESCORE_QUEUE, type RescoreJobData, type RescoreOutcome } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import { RescoreProgressStore, RescoredRuns } from '@modelrun/run-control';
import type { ModelRunner } from '@modelrun/runner';
import { type RecordStore, ResultsStore } from '@modelrun/store';
import { stallOptions } from './run/faults';
import { rescoreRun } from './rescore';
import { RescoreGate } from './rescore-gate';
import type { RunIntake } from './run-intake';

/** What the re-score consumer follows to stay behind submissions (rescore-gate.ts). */
export interface RescoreIntake {
  intake: RunIntake;
  /** The worker's `runs` consumer. */
  runs: Worker;
  /** The runs queue, read once when the gate is about to open. */
  runsQueue: Queue;
}

/**
 * The worker's consumer of the re-score queue (issue 19), for a worker with benchmarks. It takes
 * a re-score only when a run slot is free and no submission waits (RescoreGate), and a running
 * re-score holds a run slot (its evaluator is a container like a run's). A job whose worker died
 * is redelivered (BullMQ's stalled check) and is safe to run again (rescore.ts); one that failed
 * all its tries is counted as failed, so the re-score's progress still ends.
 */
export function consumeRescores(
  config: WorkerConfig,
  redis: Redis,
  runner: ModelRunner,
  store: RecordStore,
  log: Logger,
  { intake, runs, runsQueue }: RescoreIntake,
): Worker<RescoreJobData, RescoreOutcome> | undefined {
  if (config.benchmarks.size === 0) return undefined;
  const progress = new RescoreProgressStore(redis, config.deployment);
  const deps = { runner, store, results: new ResultsStore(config.dataDir), benchmarks: config.benchmarks, limits: config.limits, progress, rescored: new RescoredRuns(redis, config.deployment), log };
  const processor = async (job: Job<RescoreJobData>, token?: string): Promise<RescoreOutcome> => {
    // Fetched while a submission may wait or no slot is free (an idle consumer is left open,
    // rescore-gate.ts): back to the queue, untried, and the consumer closes until the gate opens.
    // (The gate exists by then: it is what runs the consumer.)
    if (!gate.admits()) {
      gate.shut();
      await job.moveToWait(token);
      throw new WaitingError();
    }
    intake.cpuRun(RESCORE_QUEUE, 1);
    try {
      return await rescoreRun(deps, job);
    } finally {
      intake.cpuRun(RESCORE_QUEUE, -1);
    }
  };
  const w = new Worker<RescoreJobData, RescoreOutcome>(RESCORE_QUEUE, processor, {
    connection: redis,
    prefix: config.deployment,
    // The gate runs it, and sets its concurrency to the free run slots.
    autorun: false,
    concurrency: 1,
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
  const gate = new RescoreGate({ intake, runs, rescores: w, runsWaiting: () => waitingIn(runsQueue), log });
  gate.start();
  return w;
}

/** Submissions waiting in a queue: one script call. */
async function waitingIn(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('wait', 'prioritized');
  return (counts.wait ?? 0) + (counts.prioritized ?? 0);
}
