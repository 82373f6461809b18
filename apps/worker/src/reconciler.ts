import type { Queue } from 'bullmq';
import type { RunJobData } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import type { ModelRunner } from '@modelrun/runner';


const IN_FLIGHT = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

export interface ReconcileReport {
  seen: number;
  removed: number;
  stopped: number;
}

/**
 * Finds this deployment's containers that no run will ever come back for (a worker crashed
 * between starting a container and recording its run) and removes them. A container whose
 * run is still queued or active is left for adoption; if it runs past its deadline while
 * no worker watches it, it is stopped `graceSeconds` past its time limit (WORKER_RECONCILE_GRACE_SECONDS),
 * and the worker that adopts it records a timeout.
 */
export async function reconcile(runner: ModelRunner, queue: Queue<RunJobData>, log: Logger, graceSeconds: number): Promise<ReconcileReport> {
  const report: ReconcileReport = { seen: 0, removed: 0, stopped: 0 };
  for (const c of await runner.listManaged()) {
    report.seen++;
    const state = c.runId ? await queue.getJobState(c.runId) : 'unknown';
    if (!IN_FLIGHT.has(state)) {
      // Its job completed, failed or is gone: nothing will come back to adopt it.
      log.info('removing a container no run needs', { runId: c.runId, jobState: state });
      await runner.remove({ id: c.id });
      report.removed++;
    } else if (c.state === 'running' && c.ageSeconds > c.timeoutSeconds + graceSeconds && state !== 'active') {
      log.warn('stopping a container running past its deadline with no worker watching', { runId: c.runId, ageSeconds: Math.round(c.ageSeconds) });
      if (await runner.stopRun(c.runId)) report.stopped++;
    }
  }
  return report;
}

/** Runs `reconcile` every `everySeconds`, never two at once; errors are logged, not thrown. */
export function startReconciler(run: () => Promise<ReconcileReport>, everySeconds: number, log: Logger): { stop(): void; runNow(): Promise<ReconcileReport | undefined> } {
  let running: Promise<ReconcileReport | undefined> | undefined;
  const runNow = (): Promise<ReconcileReport | undefined> => {
    running ??= run()
      .catch((err) => {
        log.warn('reconcile failed', errorFields(err));
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = everySeconds > 0 ? setInterval(() => void runNow(), everySeconds * 1000) : undefined;
  timer?.unref();
  return { stop: () => clearInterval(timer), runNow };
}
