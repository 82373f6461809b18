import { type Logger, errorFields } from '@modelrun/logger';
import type { RunOwnership } from '@modelrun/run-control';
import type { ManagedContainer, ModelRunner } from '@modelrun/runner';
import { isRescoreContainerRunId } from '@modelrun/contracts';

const IN_FLIGHT = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

export interface ReconcileReport {
  seen: number;
  removed: number;
  stopped: number;
}

export interface ReconcileDeps {
  runner: ModelRunner;
  /** Where a container's run is queued (both queues of runs). */
  queue: { getJobState(id: string): Promise<string> };
  ownership: RunOwnership;
  /** This worker's host: containers of runs another host (or a later fence) owns are removed. */
  hostId: string;
  /** Seconds past its time limit before a container no worker watches is stopped. */
  graceSeconds: number;
}

/**
 * Finds this deployment's containers that no run will ever come back for (a worker crashed
 * between starting a container and recording its run) and removes them. A container whose
 * run another host owns now (this host was lost and the run taken over) is stopped and removed
 * whatever its job's state. A container whose run is still queued or active is left for
 * adoption; if it runs past its deadline while no worker watches it, it is stopped
 * `graceSeconds` past its time limit (WORKER_RECONCILE_GRACE_SECONDS), and the worker that
 * adopts it records a timeout.
 */
export async function reconcile({ runner, queue, ownership, hostId, graceSeconds }: ReconcileDeps, log: Logger): Promise<ReconcileReport> {
  const report: ReconcileReport = { seen: 0, removed: 0, stopped: 0 };
  for (const c of await runner.listManaged()) {
    report.seen++;
    // A re-score's evaluator (issue 19) has no run job: its own job removes what it leaves (rescore.ts).
    if (isRescoreContainerRunId(c.runId)) continue;
    const elsewhere = await ownedElsewhere(c, ownership, hostId);
    if (elsewhere) {
      log.warn('removing a container whose run another host owns now', { runId: c.runId, ...elsewhere });
      await runner.remove({ id: c.id });
      report.removed++;
      continue;
    }
    const state = c.runId ? await queue.getJobState(c.runId) : 'unknown';
    if (!IN_FLIGHT.has(state)) {
      // Its job completed, failed or is gone: nothing will come back to adopt it.
      log.info('removing a container no run needs', { runId: c.runId, jobState: state });
      await runner.remove({ id: c.id });
      report.removed++;
    } else if (c.state === 'running' && c.ageSeconds > c.timeoutSeconds + graceSeconds && state !== 'active') {
      // Its age counts from its creation; whether it ran too long counts from its start, so
      // that the adopter, measuring from the start too, sees it stopped past its deadline.
      if (await runner.stopRun(c.runId, { runningLongerThanSeconds: c.timeoutSeconds + graceSeconds })) {
        log.warn('stopped a container running past its deadline with no worker watching', { runId: c.runId, ageSeconds: Math.round(c.ageSeconds) });
        report.stopped++;
      }
    }
  }
  // A benchmark run's predictions volume outlives its containers only when a crash came between.
  for (const v of await runner.listPredictionVolumes()) {
    if (isRescoreContainerRunId(v.runId)) continue;
    const state = v.runId ? await queue.getJobState(v.runId) : 'unknown';
    if (IN_FLIGHT.has(state)) continue;
    log.info('removing a predictions volume no run needs', { runId: v.runId, jobState: state });
    await runner.removeEvaluation(v.runId);
    report.removed++;
  }
  return report;
}

/** Who owns the container's run instead of this host and the container's fence, if anyone does. */
async function ownedElsewhere(c: ManagedContainer, ownership: RunOwnership, hostId: string): Promise<{ owner: string; fence: number } | undefined> {
  if (!c.runId) return undefined;
  const owner = await ownership.owner(c.runId);
  if (!owner) return undefined;
  // Containers made before ownership existed carry no fence: only the host is compared.
  if (owner.host === hostId && (c.fence === undefined || c.fence === owner.fence)) return undefined;
  return { owner: owner.host, fence: owner.fence };
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
