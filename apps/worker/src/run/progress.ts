import type { Job } from 'bullmq';
import type { RunJobData, RunPhase, RunProgress } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';

/**
 * How long a phase must stand before it is written. A run's phases mostly follow each other
 * within milliseconds (an image on the host: `pulling`, `starting`, `running` at once; a
 * short container: `collecting` 150 ms later), and every write is a Lua script, a stream entry
 * and a read by every API's event listener: measured, the two progress writes of an instant run
 * were a fifth of its Redis CPU (bench/capacity.ts). A person watching a run does not see 250 ms;
 * a run shorter than that goes from `running` (BullMQ's own `active` event) to its end with no
 * progress write at all.
 */
export const PROGRESS_SETTLE_MS = 250;

export interface ProgressWriter {
  /** Says where the run is; never waited on. */
  write(phase: RunPhase, extra?: Omit<RunProgress, 'phase'>): void;
  /** The delivery has ended: a phase not yet written is dropped, later ones are ignored. */
  close(): void;
}

/**
 * A run's progress, for watchers (the API's index, followers of the run). A phase is written
 * once it has stood for `settleMs`, one write in flight at a time, the newest phase winning:
 * phases that follow each other quickly cost one write and one queue event, not one each.
 * Watchers see phases in order, the one that stands always; a phase superseded before it
 * could be written is skipped.
 */
export function progressWriter(job: Job<RunJobData>, log: Logger, settleMs = PROGRESS_SETTLE_MS): ProgressWriter {
  let inFlight = false;
  let timer: NodeJS.Timeout | undefined;
  let next: RunProgress | undefined;
  let closed = false;
  const flush = (): void => {
    timer = undefined;
    const progress = next;
    next = undefined;
    if (!progress || closed) return;
    inFlight = true;
    job
      .updateProgress(progress)
      .catch((err: Error) => log.debug('progress update failed', { phase: progress.phase, error: err.message }))
      .finally(() => {
        inFlight = false;
        if (next && !closed) schedule();
      });
  };
  const schedule = (): void => {
    if (inFlight || timer) return;
    if (settleMs <= 0) flush();
    else timer = setTimeout(flush, settleMs);
  };
  return {
    write(phase, extra = {}) {
      if (closed) return;
      next = { phase, ...extra };
      schedule();
    },
    close() {
      closed = true;
      next = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
