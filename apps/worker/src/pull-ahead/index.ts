import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { WorkerConfig } from '@modelrun/config';
import type { Logger } from '@modelrun/logger';
import type { RunQueue, RunQueues } from '@modelrun/queue';
import type { ModelRunner } from '@modelrun/runner';
import { type PullAhead, startPullAhead } from './loop';
import { PulledImages, pullMetrics } from './pulled-images';

export { PulledImages } from './pulled-images';
export { planPullAhead } from './planner';

/**
 * A worker's image pulls beyond its runs' own: the list of images modelrun pulled onto this
 * host (always kept, for pruning) and, unless PULL_AHEAD=off, the pull-ahead. Nothing for a
 * runner that pulls no images.
 */
export function startImagePulls(deps: {
  config: WorkerConfig;
  runner: ModelRunner;
  redis: Redis;
  queues: RunQueues;
  hostId: string;
  registry: Registry;
  log: Logger;
}): { pulled: PulledImages; pullAhead: PullAhead | undefined; queues: RunQueue[] } | undefined {
  const { config, runner, log } = deps;
  const images = runner.images;
  if (!images) return undefined;
  const pulled = new PulledImages(deps.redis, config.deployment, deps.hostId, (err) => log.warn('could not note a pulled image in Redis', { error: err.message }));
  images.observe(pulled);
  const outcome = pullMetrics(deps.registry, pulled);
  // A CPU-only worker never takes a GPU run: it looks at the CPU queue only. The routed queues
  // the worker takes are added as it finds them (routed-queues.ts): the loop reads this list each tick.
  const queues = config.gpus.length > 0 ? [deps.queues.cpu, deps.queues.gpu] : [deps.queues.cpu];
  if (!config.pullAhead) return { pulled, pullAhead: undefined, queues };
  const pullAhead = startPullAhead({
    queues,
    images,
    limits: config.pullAhead,
    canTake: (run) => run.gpus <= config.gpus.length && (run.benchmark === undefined || config.benchmarks.has(run.benchmark)) && config.allowedImages.allows(run.image),
    log,
    outcome,
  });
  return { pulled, pullAhead, queues };
}
