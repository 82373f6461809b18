import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ShutdownStep } from '@modelrun/lifecycle';
import type { WorkerServices } from './services';

export interface Running {
  consumers: Worker[];
  /** Aborted when running runs have had their grace period: they are handed back. */
  handback: AbortController;
  graceMs: number;
  /** Resolves when the runs' background clean-ups have finished. */
  drainCleanups(): Promise<void>;
  reconciler: { stop(): void };
  metricsServer: { close(): Promise<void> };
  connections: Redis[];
  /** Consumers of other queues than runs' (re-scores, issue 19): closed with the runs'. */
  otherConsumers?: Worker[];
}

/**
 * The worker's shutdown, the reverse of its start: stop looking for work, let running runs end
 * within the grace period (then hand them back, containers left running for adoption), finish
 * clean-ups, then close what the runs used.
 */
export function shutdownSteps(s: WorkerServices, r: Running): ShutdownStep[] {
  return [
    { name: 'reconciler', run: async () => r.reconciler.stop() },
    { name: 'engine probe', run: async () => s.engine.stop() },
    { name: 'pull-ahead', run: async () => s.pulls?.pullAhead?.stop() },
    { name: 'image pruner', run: async () => s.pruner?.stop() },
    {
      name: 'runs',
      run: async () => {
        // close() stops fetching at once and resolves when running jobs have ended.
        const closed = Promise.all([...r.consumers, ...(r.otherConsumers ?? [])].map((w) => w.close()));
        const timer = setTimeout(() => r.handback.abort(), r.graceMs);
        await closed;
        clearTimeout(timer);
      },
    },
    { name: 'cleanups', run: () => r.drainCleanups() },
    // Once its runs have ended the process leaves the fleet view rather than lingering a lease.
    { name: 'fleet', run: () => s.fleet.stop() },
    // Not ended, only no longer renewed: a handed-back container stays this host's run.
    { name: 'lease', run: async () => s.lease.stop() },
    { name: 'webhooks', run: async () => s.webhooks?.close() },
    // Outcomes still pending stay in Redis: any other worker writes them.
    { name: 'recorder', run: () => s.recorder.stop() },
    { name: 'cancel watch', run: () => s.cancels.stop() },
    { name: 'queue', run: () => s.queues.close() },
    { name: 'metrics', run: () => r.metricsServer.close() },
    { name: 'redis', run: async () => Promise.all(r.connections.map((c) => c.quit().catch(() => c.disconnect()))) },
  ];
}
