import type { Logger } from '@modelrun/logger';
import { errorFields } from '@modelrun/logger';
import type { RunQueue, RunQueues } from '@modelrun/queue';

/** How often the API reads the set of routed queues (those another replica made since this one started). */
const ROUTE_POLL_MS = 2_000;

/**
 * Follows every routed queue of runs (runs that require host labels, routing.ts): `follow` is
 * called once for each, those this process adds to and those other API replicas made, found
 * in the Redis set every ROUTE_POLL_MS, so the index and `?wait=` hear of their runs' ends.
 */
export function followRoutedQueues(queues: RunQueues, follow: (queue: RunQueue) => void, log: Logger): { stop(): void } {
  queues.onRouted(follow);
  const timer = setInterval(() => void queues.discover().catch((err: unknown) => log.warn('cannot read the routed queues', errorFields(err))), ROUTE_POLL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
