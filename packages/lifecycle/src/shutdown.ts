import type { Logger } from '@modelrun/logger';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Ordered, idempotent shutdown with a deadline. Steps run in the order given (the caller lists
 * them in reverse of start-up); a step that fails is logged and the next one still runs.
 * A second call returns the same promise.
 */
export class Shutdown {
  private done: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  get started(): boolean {
    return this.done !== undefined;
  }

  run(steps: ShutdownStep[], deadlineMs: number, reason: string): Promise<void> {
    this.done ??= this.execute(steps, deadlineMs, reason);
    return this.done;
  }

  private async execute(steps: ShutdownStep[], deadlineMs: number, reason: string): Promise<void> {
    this.log.info('shutting down', { reason, deadlineMs });
    const started = Date.now();
    const all = (async () => {
      for (const step of steps) {
        try {
          await step.run();
          this.log.debug('shutdown step done', { step: step.name, ms: Date.now() - started });
        } catch (err) {
          this.log.warn('shutdown step failed', { step: step.name, error: (err as Error).message });
        }
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const result = await Promise.race([all.then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (result === 'deadline') this.log.warn('shutdown deadline passed; exiting anyway', { deadlineMs });
    else this.log.info('shut down', { ms: Date.now() - started });
  }
}

/** Wires SIGTERM and SIGINT: the first starts `onSignal`, a second exits at once. */
export function onTerminationSignals(log: Logger, onSignal: (signal: string) => Promise<void>, exit: (code: number) => void = process.exit): void {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count > 1) {
      log.warn('second signal: exiting now', { signal });
      exit(130);
      return;
    }
    void onSignal(signal).then(
      () => exit(0),
      () => exit(1),
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
