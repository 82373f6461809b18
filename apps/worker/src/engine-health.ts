import { engineUnreachable } from '@modelrun/runner';
import { errorMessage } from './run/faults';

export interface EngineFaultState {
  error: string;
  since: string;
}

/** How often a worker whose engine went away asks it again. */
const PROBE_MS = 1_000;

/**
 * Whether this host's Docker engine answers. A run whose fault was an unreachable engine marks
 * it down; from then on the worker pings it every second and marks it up once it answers.
 * `onChange` is where the worker stops and restarts taking runs, and tells its health check and
 * metrics: a host without an engine would only spend the attempts of every run it took.
 */
export class EngineHealth {
  private state: EngineFaultState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ping: () => Promise<void>,
    private readonly onChange: (fault: EngineFaultState | undefined) => void,
    private readonly probeMs = PROBE_MS,
  ) {}

  get fault(): EngineFaultState | undefined {
    return this.state;
  }

  /** How long the engine has been unreachable; 0 while it answers. */
  downForMs(now = Date.now()): number {
    return this.state ? now - Date.parse(this.state.since) : 0;
  }

  /** Looks at a run's fault: an unreachable engine marks it down (once) and starts the probe. */
  sawFault(err: unknown): void {
    if (this.state || this.stopped || !engineUnreachable(err)) return;
    this.state = { error: errorMessage(err), since: new Date().toISOString() };
    this.onChange(this.state);
    this.probeLater();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private probeLater(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ping().then(
        () => {
          if (this.stopped) return;
          this.state = undefined;
          this.onChange(undefined);
        },
        () => this.probeLater(),
      );
    }, this.probeMs);
    this.timer.unref();
  }
}
