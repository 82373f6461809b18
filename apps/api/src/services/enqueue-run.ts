import { DEFAULT_RUN_PRIORITY, RUN_JOB, type RunJobData, type RunPriority, rerunPriority } from '@modelrun/contracts';
import { type RetryPolicy, type RunQueue, jobPriority, runJobOptions } from '@modelrun/queue';
import type { FairShare } from '@modelrun/run-control';

export interface EnqueueOptions {
  retry: RetryPolicy;
  /** Each submitter's waiting runs; without it every run of a level waits in the order it came. */
  fairShare?: FairShare;
  /** Whose share the run takes: the user, the team where the benchmark counts per team, else the caller's key. */
  share: string;
  /** The run's level (1 first, 9 last): the request's, else its benchmark's, else DEFAULT_RUN_PRIORITY. */
  level?: RunPriority;
  /**
   * A re-run or re-score of an earlier run: it waits RERUN_PRIORITY_DROP levels below the level
   * its submission would have had, so submissions go first.
   */
  rerun?: boolean;
}

/**
 * Adds a run's job to `queue` (chosen by the caller: the run's routing decides it) with the
 * priority that shares the queue fairly: its level, then its rank among its submitter's runs
 * waiting in that queue (fair-share.ts), so one submitter's sweep of hundreds of runs holds
 * back nobody else's first run. Costs one round trip to Redis more than a plain add.
 */
export async function enqueueRun(queue: RunQueue, data: RunJobData, opts: EnqueueOptions): Promise<void> {
  const base = opts.level ?? DEFAULT_RUN_PRIORITY;
  const level = opts.rerun ? rerunPriority(base) : base;
  const fair = opts.fairShare;
  const [rank = 1] = fair
    ? await fair.enter([{ queue: { name: queue.name, prioritizedKey: queue.toKey('prioritized'), delayedKey: queue.toKey('delayed') }, submitter: opts.share, runId: data.id }])
    : [];
  try {
    await queue.add(RUN_JOB, data, { ...runJobOptions(data.id, opts.retry), priority: jobPriority(level, rank) });
  } catch (err) {
    // Not queued: it must not count among its submitter's waiting runs (a later enqueue would drop it, but only after a minute).
    await fair?.left(data.id).catch(() => undefined);
    throw err;
  }
}
