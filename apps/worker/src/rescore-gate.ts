import type { Worker } from 'bullmq';
import type { Logger } from '@modelrun/logger';
import type { RunIntake } from './run-intake';

/** What the gate knows when it decides. */
export interface GateState {
  /** The worker takes no runs now (its volume, its engine, a drain): no re-scores either. */
  refusing: boolean;
  /** CPU run slots free now (a running re-score holds one). */
  freeSlots: number;
  /** The `runs` consumer found its queue empty since it last took a run (BullMQ's `drained`). */
  runsDrained: boolean;
}

/**
 * Whether this worker may take a re-score now (issue 19: re-scores wait strictly behind
 * submissions): only with a free run slot, and only once no submission waits for it, which its
 * `runs` consumer says by finding its queue empty. A re-score that runs holds a slot as a run does.
 */
export function mayTakeRescore(s: GateState): boolean {
  return !s.refusing && s.freeSlots > 0 && s.runsDrained;
}

export interface GateDeps {
  intake: RunIntake;
  /** The worker's `runs` consumer: its `drained` and `active` events say whether submissions wait. */
  runs: Worker;
  /** The worker's re-score consumer, made with `autorun: false`: the gate runs and pauses it. */
  rescores: Worker;
  /** The runs queue's waiting submissions: one cheap read, only when the gate is about to open. */
  runsWaiting(): Promise<number>;
  log: Logger;
}

/**
 * Opens the worker's re-score consumer only while mayTakeRescore, and closes it (a local pause)
 * otherwise. Event-driven, no polling: the runs consumer's `drained`/`active` events and the
 * intake's changes of slots; before opening, one read of the runs queue confirms that nothing
 * waits (the events of a moment ago may be stale). Every re-score the consumer fetches is checked
 * by its processor (admits): one fetched while it may not run is handed back, never run beside a
 * waiting submission, and the consumer is closed then (shut). So an idle consumer (its queue
 * found empty) is left open while submissions come and go: closing and opening it for every run
 * would cost Redis commands per run (a read, the stalled check's restart, a fetch) for nothing.
 */
export class RescoreGate {
  private runsDrained = false;
  /** The re-score consumer found its queue empty since it last took a re-score (its `drained`). */
  private rescoresIdle = false;
  private confirming = false;

  constructor(private readonly deps: GateDeps) {}

  start(): void {
    const { runs, rescores, intake } = this.deps;
    rescores.on('drained', () => {
      this.rescoresIdle = true;
    });
    rescores.on('active', () => {
      this.rescoresIdle = false;
    });
    runs.on('drained', () => {
      this.runsDrained = true;
      this.consider();
    });
    runs.on('active', () => {
      this.runsDrained = false;
      this.consider();
    });
    intake.onChange(() => this.consider());
    this.consider();
  }

  /** Whether a re-score fetched now may run (checked by its processor before it starts). */
  admits(): boolean {
    return mayTakeRescore(this.state());
  }

  /** A re-score was fetched that may not run (its processor hands it back): the consumer closes until the gate opens. */
  shut(): void {
    const { rescores } = this.deps;
    if (rescores.isRunning() && !rescores.isPaused()) void rescores.pause(true);
  }

  private state(): GateState {
    const { intake } = this.deps;
    return { refusing: intake.refusing() !== undefined, freeSlots: intake.freeCpuSlots(), runsDrained: this.runsDrained };
  }

  private consider(): void {
    const { rescores } = this.deps;
    const state = this.state();
    if (!mayTakeRescore(state)) {
      // An idle consumer stays open: a re-score that comes is handed back and closes it (shut).
      if (!this.rescoresIdle) this.shut();
      return;
    }
    // As many at once as there are free slots: each running re-score holds one (run-intake.ts).
    if (Number.isFinite(state.freeSlots)) rescores.concurrency = Math.max(1, state.freeSlots);
    if ((rescores.isRunning() && !rescores.isPaused()) || this.confirming) return;
    this.confirming = true;
    this.deps
      .runsWaiting()
      .then((waiting) => {
        // Submissions wait: the runs consumer takes them, and its next `drained` asks again.
        if (waiting === 0 && this.admits()) void rescores.resume();
      })
      .catch((err: Error) => this.deps.log.warn('could not read the runs queue; re-scores wait for its next drain', { error: err.message }))
      .finally(() => {
        this.confirming = false;
      });
  }
}
