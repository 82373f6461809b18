import type { QueueFigures } from '@modelrun/contracts';
import type { RunQueue } from '@modelrun/queue';

/**
 * What an autoscaler needs of a queue: runs ready to start (waiting, or prioritized: BullMQ keeps
 * runs with a priority apart), runs running, and how long the oldest ready run has waited. A
 * few Redis reads per queue; the oldest is read from the head of each list, not by scanning it.
 */
export async function queueFigures(queue: RunQueue, now = Date.now()): Promise<QueueFigures> {
  const [counts, paused, oldest] = await Promise.all([queue.getJobCounts('waiting', 'prioritized', 'active'), queue.isPaused(), oldestWaiting(queue)]);
  return {
    name: queue.name,
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    running: counts.active ?? 0,
    oldestWaitingSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
    paused,
  };
}

/** When the oldest waiting run was queued (ms), or undefined when none waits. */
async function oldestWaiting(queue: RunQueue): Promise<number | undefined> {
  // asc: oldest first. Prioritized runs are ordered by priority, so look at a page of them.
  const [waiting, prioritized] = await Promise.all([queue.getJobs(['waiting'], 0, 0, true), queue.getJobs(['prioritized'], 0, 99, true)]);
  const times = [...waiting, ...prioritized].map((j) => j?.timestamp).filter((t): t is number => typeof t === 'number');
  return times.length > 0 ? Math.min(...times) : undefined;
}
