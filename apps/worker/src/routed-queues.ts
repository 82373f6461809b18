import type { Worker } from 'bullmq';
import { GPU_RUN_QUEUE } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import { type RunQueues, parseQueueName, servesQueue } from '@modelrun/queue';

/** How often a worker looks for routed queues made since it started (a run waits at most about this long for a new one). */
export const ROUTE_POLL_MS = 2_000;

export interface RoutedQueuesDeps {
  queues: RunQueues;
  /** What this host offers (routing.ts hostOffer: its WORKER_LABELS and its engine's runtimes). */
  offer: ReadonlySet<string>;
  /** The GPU devices this worker hands out, if any: GPU queues are consumed only with some. */
  gpuSlots: number;
  /** Runs at once from one CPU queue (WORKER_CONCURRENCY). */
  cpuSlots: number;
  /** Starts a BullMQ consumer of the queue (worker.ts consume). */
  consume(queueName: string, concurrency: number): Worker;
  /** Takes a new consumer in with the others, so refusals pause it and shutdown closes it. */
  adopt(consumer: Worker): void;
  /** True once shutdown began: no new consumer is started after. */
  closing(): boolean;
  log: Logger;
}

/**
 * Consumes every routed queue this host can serve, those made before the worker started and
 * those made after (read again every ROUTE_POLL_MS from the Redis set the API adds to).
 * A queue whose requirements the host lacks is never consumed, so none of its runs lands here.
 */
export function startRoutedQueues(deps: RoutedQueuesDeps): { stop(): void; refresh(): Promise<void> } {
  const consumed = new Set<string>();
  let running: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    running ??= look(deps, consumed)
      .catch((err: unknown) => {
        deps.log.warn('cannot read the routed queues', errorFields(err));
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void refresh(), ROUTE_POLL_MS);
  timer.unref();
  void refresh();
  return { stop: () => clearInterval(timer), refresh };
}

async function look(deps: RoutedQueuesDeps, consumed: Set<string>): Promise<void> {
  await deps.queues.discover();
  for (const queue of deps.queues.all) {
    const name = queue.name;
    if (consumed.has(name) || !parseQueueName(name)?.requires.length) continue;
    if (!servesQueue(name, deps.offer, deps.gpuSlots > 0)) continue;
    if (deps.closing()) return;
    consumed.add(name);
    const gpu = parseQueueName(name)?.base === GPU_RUN_QUEUE;
    const consumer = deps.consume(name, gpu ? deps.gpuSlots : deps.cpuSlots);
    deps.adopt(consumer);
    deps.log.info('taking runs from a routed queue', { queue: name });
  }
}
