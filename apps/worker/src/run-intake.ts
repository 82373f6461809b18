import type { Worker } from 'bullmq';

/** What keeps a worker from taking runs: its volume refusing records, its engine unreachable, an operator's drain of its host. */
export type Refusal = 'volume' | 'engine' | 'drain';

/**
 * Whether this worker takes new runs. Each reason to refuse is set and cleared on its own; the
 * consumers are paused locally while any is set (runs already running carry on, and a job
 * fetched in the instant of pausing is handed back by the processor) and resumed when none is.
 */
export class RunIntake {
  readonly consumers: Worker[] = [];
  private readonly reasons = new Map<Refusal, string>();

  /** Sets (with why) or clears (undefined) one reason to take no runs. */
  refuse(kind: Refusal, why: string | undefined): void {
    if (why) this.reasons.set(kind, why);
    else this.reasons.delete(kind);
    for (const w of this.consumers) {
      if (this.reasons.size > 0) void w.pause(true);
      else if (w.isPaused()) w.resume();
    }
  }

  /** Takes in a consumer started later (a routed queue found while running): paused at once while refusing. */
  adopt(consumer: Worker): void {
    this.consumers.push(consumer);
    if (this.reasons.size > 0) void consumer.pause(true);
  }

  /** Why the worker takes no runs now, or undefined while it takes them. */
  refusing(): string | undefined {
    return this.reasons.size > 0 ? [...this.reasons.values()].join('; ') : undefined;
  }
}
