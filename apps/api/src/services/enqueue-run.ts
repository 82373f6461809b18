import { AsyncResource } from 'node:async_hooks';
import { DEFAULT_RUN_PRIORITY, RUN_JOB, type RunJobData, type RunPriority, rerunPriority } from '@modelrun/contracts';
import { type RetryPolicy, type RunQueue, jobPriority, runJobOptions } from '@modelrun/queue';
import type { FairShare, FairShareEntry } from '@modelrun/run-control';

/** Where a run waits among others: whose share it takes and at which level. */
export interface RunPlacement {
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

function fairShareEntry(queue: RunQueue, data: RunJobData, placement: RunPlacement): FairShareEntry {
  return { queue: { name: queue.name, prioritizedKey: queue.toKey('prioritized'), delayedKey: queue.toKey('delayed') }, submitter: placement.share, runId: data.id };
}

/** Adds the job with the priority of its level and rank; a run not added leaves its submitter's waiting runs. */
async function addRun(queue: RunQueue, data: RunJobData, placement: RunPlacement, retry: RetryPolicy, rank: number, fair: FairShare | undefined): Promise<void> {
  const base = placement.level ?? DEFAULT_RUN_PRIORITY;
  const level = placement.rerun ? rerunPriority(base) : base;
  try {
    await queue.add(RUN_JOB, data, { ...runJobOptions(data.id, retry), priority: jobPriority(level, rank) });
  } catch (err) {
    // Not queued: it must not count among its submitter's waiting runs (a later enqueue would drop it, but only after a minute).
    await fair?.left(data.id).catch(() => undefined);
    throw err;
  }
}

/** How many runs one fair-share script call enters at most: a burst of thousands holds Redis in several short calls, not one long one. */
const MAX_BATCH = 256;

interface Waiting {
  queue: RunQueue;
  data: RunJobData;
  placement: RunPlacement;
  /** The caller's async context (request id in logs, trace span): its add runs, and it resumes, in it. */
  scope: AsyncResource;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Adds runs' jobs to their queues (chosen by the caller: a run's routing decides it) with the
 * priority that shares a queue fairly: the run's level, then its rank among its submitter's runs
 * waiting in that queue (fair-share.ts), so one submitter's sweep of hundreds of runs holds back
 * nobody else's first run. The rank costs a round trip before the add, shared among
 * concurrent submissions: a run that comes while a fair-share call is in flight waits for it to
 * end, then enters with every other run that came meanwhile, in one script call (a lone run goes
 * at once, with no timer). Each run's job is then added on its own, all of a batch at once so
 * the connection pipelines them, and each caller is answered when its own job is stored (a 202
 * still means stored) or with its own error. One per API process, so batches are as large as
 * the process's concurrency.
 */
export class RunEnqueuer {
  private waiting: Waiting[] = [];
  private entering = false;
  /** The enqueuer's own context, so batches never run in the context of the request that happened to start them. */
  private readonly home = new AsyncResource('modelrun.RunEnqueuer');

  constructor(
    private readonly deps: {
      retry: RetryPolicy;
      /** Each submitter's waiting runs; without it every run of a level waits in the order it came (and nothing is batched). */
      fairShare?: FairShare;
    },
  ) {}

  /** Resolves once the run's job is in Redis; rejects with what kept it out (then it is in no submitter's waiting runs). */
  enqueue(queue: RunQueue, data: RunJobData, placement: RunPlacement): Promise<void> {
    const fair = this.deps.fairShare;
    if (!fair) return addRun(queue, data, placement, this.deps.retry, 1, undefined);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ queue, data, placement, scope: new AsyncResource('modelrun.enqueue'), resolve, reject });
      if (!this.entering) this.home.runInAsyncScope(() => void this.enterWaiting(fair));
    });
  }

  /** Enters what waits, batch after batch, while runs keep coming; each batch's adds go out as soon as its ranks are known. */
  private async enterWaiting(fair: FairShare): Promise<void> {
    this.entering = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        let ranks: number[];
        try {
          ranks = await fair.enter(batch.map((w) => fairShareEntry(w.queue, w.data, w.placement)));
        } catch (err) {
          for (const w of batch) w.scope.runInAsyncScope(w.reject, undefined, err);
          continue;
        }
        batch.forEach((w, i) => this.add(w, ranks[i] ?? 1, fair));
      }
    } finally {
      this.entering = false;
    }
  }

  /** Adds the job, and answers its caller, in the caller's own context (not AsyncResource.bind: that costs a deprecation wrapper per call). */
  private add(w: Waiting, rank: number, fair: FairShare): void {
    w.scope.runInAsyncScope(() => void addRun(w.queue, w.data, w.placement, this.deps.retry, rank, fair).then(w.resolve, w.reject));
  }
}
