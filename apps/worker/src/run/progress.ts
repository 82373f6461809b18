import type { Job } from 'bullmq';
import type { RunJobData, RunPhase, RunProgress } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';

export interface ProgressWriter {
  /** Says where the run is; never waited on. */
  write(phase: RunPhase, extra?: Omit<RunProgress, 'phase'>): void;
  /** The delivery has ended: a phase not yet written is dropped, later ones are ignored. */
  close(): void;
}

/**
 * A run's progress, for watchers (the API's index, followers of the run). One write is in
 * flight at a time and the newest phase wins: phases that follow each other within one round
 * trip to Redis (a run with its image on the host says `pulling`, `starting` and `running`
 * within milliseconds) cost one write and one queue event, not one each. Watchers see phases in
 * order, the last one always; a phase superseded before it could be written is skipped.
 */
export function progressWriter(job: Job<RunJobData>, log: Logger): ProgressWriter {
  let inFlight = false;
  let next: RunProgress | undefined;
  let closed = false;
  const send = (progress: RunProgress): void => {
    inFlight = true;
    job
      .updateProgress(progress)
      .catch((err: Error) => log.debug('progress update failed', { phase: progress.phase, error: err.message }))
      .finally(() => {
        inFlight = false;
        const queued = next;
        next = undefined;
        if (queued && !closed) send(queued);
      });
  };
  return {
    write(phase, extra = {}) {
      if (closed) return;
      const progress = { phase, ...extra };
      if (inFlight) next = progress;
      else send(progress);
    },
    close() {
      closed = true;
      next = undefined;
    },
  };
}
