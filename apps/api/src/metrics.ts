import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunQueues } from '@modelrun/queue';
import type { RunIndex } from '@modelrun/leaderboard';
import type { QueueFigures } from '@modelrun/contracts';
import { queueFigures } from './services/queue-figures';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/** The API's Prometheus metrics: HTTP, queue depth (read from Redis at scrape time), the index. */
export function createApiMetrics(queues: RunQueues, index: RunIndex, pingRedis: () => Promise<unknown>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'modelrun_api_' });
  const http = new Histogram({
    name: 'modelrun_http_request_duration_seconds',
    help: 'HTTP request durations by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'modelrun_queue_jobs',
    help: 'Runs in the queue by BullMQ state (completed and failed jobs are kept for a while)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        // GPU runs are runs too: the depth is both queues'.
        const counts = await Promise.all(queues.all.map((q) => q.getJobCounts(...QUEUE_STATES)));
        for (const state of QUEUE_STATES)
          this.set(
            { state },
            counts.reduce((n, c) => n + (c[state] ?? 0), 0),
          );
      } catch {
        // Redis is down: keep the last values; modelrun_redis_up says why they are stale.
      }
    },
  });
  // Per queue, for an autoscaler (docs/operations/scaling.md): read once per scrape for all three gauges.
  let figures: Promise<QueueFigures[]> | undefined;
  const perQueue = (name: string, help: string, pick: (f: QueueFigures) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        figures ??= Promise.all(queues.all.map((q) => queueFigures(q))).finally(() => setImmediate(() => (figures = undefined)));
        try {
          for (const f of await figures) this.set({ queue: f.name }, pick(f));
        } catch {
          // Redis is down: keep the last values; modelrun_redis_up says why they are stale.
        }
      },
    });
  };
  perQueue('modelrun_queue_waiting', 'Runs ready to start in each queue (waiting or prioritized)', (f) => f.waiting);
  perQueue('modelrun_queue_running', 'Runs running from each queue', (f) => f.running);
  perQueue('modelrun_queue_oldest_waiting_seconds', "Age of each queue's oldest waiting run (0 when none waits)", (f) => f.oldestWaitingSeconds);
  new Gauge({
    name: 'modelrun_redis_up',
    help: '1 if the API reached Redis at the last scrape',
    registers: [registry],
    async collect() {
      try {
        await pingRedis();
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });
  new Gauge({
    name: 'modelrun_index_runs',
    help: 'Runs in the API index',
    registers: [registry],
    collect() {
      this.set(index.runCount);
    },
  });
  new Gauge({
    name: 'modelrun_index_models',
    help: 'Models in the API index',
    registers: [registry],
    collect() {
      this.set(index.modelCount);
    },
  });
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeHttp: (route: string, method: string, status: number, seconds: number) => http.observe({ route, method, status: String(status) }, seconds),
    /** For metrics defined beside what they measure (the retention pass's). */
    registry,
  };
}
