import { type Logger, errorFields } from '@modelrun/logger';
import type { RunControl, RunOwnership } from '@modelrun/run-control';
import type { ContainerHandle, ModelRunner } from '@modelrun/runner';

/**
 * Removes runs' containers and side state after their records are written, without holding up
 * the jobs' completion (a run is visible as finished as soon as it is recorded). The reconciler
 * removes anything a crash leaves; shutdown waits for these through `drain`.
 */
export class Cleanups {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly runner: ModelRunner,
    private readonly control: RunControl,
    private readonly ownership: RunOwnership,
  ) {}

  /**
   * Starts the clean-up of a run; `handle` when its container is known, else found by name.
   * `evaluation`: a benchmark run, whose evaluator container and predictions volume go too.
   */
  later(runId: string, handle: ContainerHandle | undefined, log: Logger, evaluation = false): void {
    const done = this.cleanUp(runId, handle, log, evaluation).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Resolves when every clean-up started so far has finished. */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private async cleanUp(runId: string, handle: ContainerHandle | undefined, log: Logger, evaluation: boolean): Promise<void> {
    try {
      if (handle) await this.runner.remove(handle);
      else await this.runner.removeRun(runId);
      if (evaluation || !handle) await this.runner.removeEvaluation(runId);
      // The run's side state and its owner's linger, in one transaction.
      await this.control.clear(runId, (tx) => this.ownership.clearIn(tx, runId));
    } catch (err) {
      // The reconciler removes whatever is left; the run itself is already recorded.
      log.warn('cleanup after the run failed', errorFields(err));
    }
  }
}
