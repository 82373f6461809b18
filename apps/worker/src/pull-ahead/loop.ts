import type { Job } from 'bullmq';
import { type RunJobData, pinnedImageRef } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import type { RunQueue } from '@modelrun/queue';
import { type ImagePuller, PullTooLarge } from '@modelrun/runner';
import { type PullAheadLimits, type WaitingRun, planPullAhead } from './planner';

export interface PullAheadDeps {
  /** The queues this worker takes runs from, in the order it takes them. */
  queues: RunQueue[];
  images: ImagePuller;
  limits: Omit<PullAheadLimits, 'parallel'>;
  /** Whether this worker could run it (GPUs, benchmarks, allowed images): others' runs are not pulled here. */
  canTake(run: WaitingRun): boolean;
  log: Logger;
  /** How often the queue is looked at (default 1 s); a finished pull looks again at once. */
  intervalMs?: number;
  /** Told of each pull ahead's end (metrics). */
  outcome?(outcome: 'pulled' | 'present' | 'too_large' | 'failed'): void;
}

export interface PullAhead {
  /** One look at the queue now; resolves when the pulls it started have been started. */
  tickNow(): Promise<void>;
  stop(): void;
}

/** One pull at a time: a pull ahead shares the host's bandwidth and disk with the runs' own. */
const PARALLEL = 1;
/** How long an image found on the engine, or whose pull ahead failed, is left alone. */
const REST_MS = 30_000;

/**
 * Watches the runs waiting in the queue and pulls their images before a slot takes them, so a
 * run starts on an image already there (see planner.ts for what is chosen). Never fails a
 * run: whatever goes wrong here, the run's own pull decides.
 */
export function startPullAhead(deps: PullAheadDeps): PullAhead {
  const pulledAhead = new Map<string, number>();
  const sizes = new Map<string, number>();
  const resting = new Map<string, number>();
  const limits = { ...deps.limits, parallel: PARALLEL };
  // Enough jobs to find `images` distinct images when runs repeat an image a few times, and no
  // more.
  const lookAt = Math.min(100, limits.images * 4);
  // What pull-ahead needs of each job it has read: a job's data never changes once added, so
  // each look reads only the ids in the window (one range read per queue) and the jobs new to
  // it. Reading every job in the window each second, on every worker, was Redis's steadiest
  // work while runs waited (issue 20); a job that left the window is forgotten.
  const known = new Map<string, WaitingRun | undefined>();
  let stopped = false;
  let ticking: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const waitingRuns = async (): Promise<WaitingRun[]> => {
    const runs: WaitingRun[] = [];
    const seen = new Set<string>();
    for (const queue of deps.queues) {
      // Oldest first: the order BullMQ hands jobs out (waiting before prioritized).
      const ids = await queue.getRanges(['wait', 'prioritized'], 0, lookAt - 1, true);
      const unread = ids.filter((id) => !known.has(`${queue.name}/${id}`));
      const jobs = await Promise.all(unread.map((id) => queue.getJob(id) as Promise<Job<RunJobData> | undefined>));
      unread.forEach((id, i) => known.set(`${queue.name}/${id}`, waitingRunOf(jobs[i]?.data)));
      for (const id of ids) {
        const key = `${queue.name}/${id}`;
        seen.add(key);
        const run = known.get(key);
        if (run) runs.push(run);
      }
    }
    for (const key of known.keys()) if (!seen.has(key)) known.delete(key);
    return runs;
  };

  const pullOne = async (image: string, maxBytes: number): Promise<void> => {
    try {
      const result = await deps.images.pullAhead(image, { maxBytes });
      if (result.state === 'pulled') {
        pulledAhead.set(image, result.bytes);
        deps.log.info('pulled an image ahead of its run', { image, bytes: result.bytes });
        deps.outcome?.('pulled');
      } else if (result.state === 'present') {
        resting.set(image, Date.now() + REST_MS);
        deps.outcome?.('present');
      }
    } catch (err) {
      if (err instanceof PullTooLarge) {
        sizes.set(image, err.bytes);
        deps.log.info('not pulling an image ahead: over the bytes pull-ahead may take', { image, bytesAtLeast: err.bytes, maxBytes });
        deps.outcome?.('too_large');
      } else if (!stopped) {
        resting.set(image, Date.now() + REST_MS);
        // Not a run's failure: its own pull will say what is wrong, and classify it.
        deps.log.info('pull ahead failed; the run will pull the image itself', { image, error: (err as Error).message });
        deps.outcome?.('failed');
      }
    }
    if (!stopped) void tick();
  };

  const tickOnce = async (): Promise<void> => {
    const now = Date.now();
    for (const [image, until] of resting) if (until <= now) resting.delete(image);
    const plan = planPullAhead(await waitingRuns(), deps.canTake, { inFlight: deps.images.inFlight(), pulledAhead, resting: new Set(resting.keys()), sizes }, limits);
    // An image whose runs have all left the queue no longer holds any of the budget.
    for (const image of pulledAhead.keys()) if (!plan.window.includes(image)) pulledAhead.delete(image);
    for (const { image, maxBytes } of plan.pull) if (!stopped) void pullOne(image, maxBytes);
  };

  const tick = (): Promise<void> => {
    // One look at a time; a look asked for during one is covered by the next timer tick.
    ticking ??= tickOnce()
      .catch((err: Error) => {
        deps.log.warn('pull-ahead could not read the queue', { error: err.message });
      })
      .finally(() => {
        ticking = undefined;
      });
    return ticking;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void tick().finally(schedule), deps.intervalMs ?? 1000);
  };
  void tick().finally(schedule);
  return {
    tickNow: tick,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      deps.images.abortAhead();
    },
  };
}

/** The part of a waiting job pull-ahead needs; a job it cannot read is skipped (the worker will fail it properly). */
function waitingRunOf(data: Partial<RunJobData> | undefined): WaitingRun | undefined {
  if (typeof data?.image !== 'string') return undefined;
  let image: string;
  try {
    image = pinnedImageRef(data.image);
  } catch {
    return undefined;
  }
  return { image, gpus: data.limits?.gpus ?? 0, ...(data.benchmark && { benchmark: data.benchmark }) };
}
