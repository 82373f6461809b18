import type { Job } from 'bullmq';
import type { RunJobData, RunRecord } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import type { ModelRunner } from '@modelrun/runner';
import type { QuotaLedger } from '@modelrun/run-control';
import type { Recorder } from '../recording/recorder';
import { buildRecord, failure, releaseQuota } from './record';

/**
 * A job can fail without its processor deciding so: BullMQ fails a job that stalled (its
 * worker died) more often than allowed. The run then has no record; this writes one, so the
 * run ends `failed` with reason `infrastructure` instead of vanishing, and its container (still
 * running, as nothing stopped it) is removed: no delivery will come back for it. Runs the
 * processor ended itself already have their record, and are left alone. Returns the record it
 * wrote, if any.
 */
export async function recordAbandonedRun(job: Job<RunJobData>, err: Error, recorder: Recorder, runner: ModelRunner, log: Logger, quotas?: QuotaLedger): Promise<RunRecord | undefined> {
  try {
    if ((await job.getState()) !== 'failed') return undefined;
    const run = job.data;
    // Recorded, or its outcome pending in Redis (a failure the volume could not take yet).
    if (await recorder.known(run.name, run.id)) return undefined;
    await runner.removeRun(run.id).catch((e: Error) => log.warn("could not remove an abandoned run's container; the reconciler will", { runId: run.id, error: e.message }));
    const rec = buildRecord(run, run.limits, failure('infrastructure', `the run was lost by the platform: ${err.message}`), { finishedAt: new Date().toISOString() }, job.attemptsMade, []);
    const recorded = await recorder.record(rec, undefined, log.child({ runId: run.id }));
    if (recorded.record !== rec) return undefined;
    log.warn('recorded a run its worker abandoned', { runId: run.id, error: err.message, pending: recorded.pending });
    await releaseQuota({ ...(quotas && { quotas }) }, { run, log }, rec);
    return rec;
  } catch (e) {
    log.warn('could not record an abandoned run', { runId: job.id, error: (e as Error).message });
    return undefined;
  }
}
