import type { Worker } from 'bullmq';

/** What keeps a worker from taking runs: its volume refusing records, its engine unreachable, an operator's drain of its host. */
export type Refusal = 'volume' | 'engine' | 'drain';

/**
 * Whether this worker takes new runs. Each reason to refuse is set and cleared on its own; the
 * consumers are paused locally while any is set (runs already running carry on, and a job
 * fetched in the instant of pausing is handed back by the processor) and resumed when none is.
 *
 * The CPU consumers (`runs` and each routed CPU queue) share WORKER_CONCURRENCY slots, so a
 * host serving several queues runs about that many CPU runs, not that many per queue: `runs`
 * takes the slots the routed queues leave (BullMQ's concurrency, never below 1, so its stalled
 * checks go on), and the routed consumers are paused while every slot is busy. At most one run
 * over the slots, plus one per routed consumer that fetched in the instant of pausing.
 */
export class RunIntake {
  readonly consumers: Worker[] = [];
  private readonly reasons = new Map<Refusal, string>();
  /** The `runs` consumer, whose concurrency follows the slots the others leave. */
  private primary: Worker | undefined;
  private readonly routedCpu = new Set<Worker>();
  private cpuSlots = Number.POSITIVE_INFINITY;
  /** CPU runs running now, by queue name. */
  private readonly cpuBusy = new Map<string, number>();
  private readonly listeners: (() => void)[] = [];

  /** Sets (with why) or clears (undefined) one reason to take no runs. */
  refuse(kind: Refusal, why: string | undefined): void {
    if (why) this.reasons.set(kind, why);
    else this.reasons.delete(kind);
    this.apply();
  }

  /** Takes in a consumer started later (a routed queue found while running): paused at once while refusing or while its slots are full. */
  adopt(consumer: Worker, shares?: 'cpu'): void {
    this.consumers.push(consumer);
    if (shares === 'cpu') this.routedCpu.add(consumer);
    this.apply();
  }

  /** Makes the `runs` consumer and the routed CPU ones share `slots` runs at once (WORKER_CONCURRENCY). */
  shareCpuSlots(slots: number, primary: Worker): void {
    this.cpuSlots = slots;
    this.primary = primary;
    this.apply();
  }

  /** A CPU run of queue `queue` started (+1) or ended (-1). */
  cpuRun(queue: string, delta: 1 | -1): void {
    this.cpuBusy.set(queue, Math.max(0, (this.cpuBusy.get(queue) ?? 0) + delta));
    this.apply();
  }

  /** CPU run slots free now (WORKER_CONCURRENCY less the CPU runs and re-scores running); unbounded before shareCpuSlots. */
  freeCpuSlots(): number {
    return this.cpuSlots - [...this.cpuBusy.values()].reduce((n, b) => n + b, 0);
  }

  /** Calls `listener` after every change of slots or refusals (the re-score gate follows them). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Why the worker takes no runs now, or undefined while it takes them. */
  refusing(): string | undefined {
    return this.reasons.size > 0 ? [...this.reasons.values()].join('; ') : undefined;
  }

  private apply(): void {
    const busy = [...this.cpuBusy.values()].reduce((n, b) => n + b, 0);
    const full = busy >= this.cpuSlots;
    if (this.primary && Number.isFinite(this.cpuSlots)) {
      const elsewhere = busy - (this.cpuBusy.get(this.primary.name) ?? 0);
      this.primary.concurrency = Math.max(1, this.cpuSlots - elsewhere);
    }
    for (const w of this.consumers) {
      const hold = this.reasons.size > 0 || (full && this.routedCpu.has(w));
      if (hold && !w.isPaused()) void w.pause(true);
      else if (!hold && w.isPaused()) w.resume();
    }
    for (const listener of this.listeners) listener();
  }
}
