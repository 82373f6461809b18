/**
 * The platform's faults for the soak (`npm run soak -- --engines 2 --faults`): the second
 * host's engine (test/soak/hosts.ts, no live-restore: the harder case) is restarted once
 * mid-soak, and DATA_DIR is a small tmpfs that is filled up for a few seconds mid-soak, then
 * freed. Neither may change a run's outcome: the soak's table must stay all zeros.
 */
import type { TestEngine } from '../helpers/docker-engine';
import { TestVolume } from '../helpers/tmpfs';

export interface FaultCounts {
  engineRestarts: number;
  volumeFull: number;
  /** Seconds the volume stayed full. */
  volumeFullSeconds: number;
}

export class SoakFaults {
  readonly counts: FaultCounts = { engineRestarts: 0, volumeFull: 0, volumeFullSeconds: 0 };
  private engine: TestEngine | undefined;
  private busy = false;
  private restart: Promise<void> = Promise.resolve();

  /** Mounts the volume (64 MiB: a few hundred records and logs with room to spare, until it is filled on purpose). */
  constructor(readonly volume = new TestVolume(64)) {}

  /** The engine to restart: the second host's. */
  use(engine: TestEngine | undefined): void {
    if (!engine) throw new Error("--faults restarts the second host's engine: run it with --engines 2");
    this.engine = engine;
  }

  /**
   * Called by the chaos loop with how far submission has come (0..1): restarts the engine at a
   * third (then `engineBack` lets the soak follow its new event stream), fills the volume for
   * `fullSeconds` at three quarters. One fault at a time.
   */
  async inject(progress: number, log: (msg: string) => void, engineBack: () => Promise<void>, fullSeconds = 8): Promise<void> {
    if (this.busy || !this.engine) return;
    this.busy = true;
    try {
      if (this.counts.engineRestarts === 0 && progress > 0.33) {
        log('restarting the second engine (no live-restore)');
        const engine = this.engine;
        this.restart = (async () => {
          await engine.restart();
          await engineBack();
        })();
        await this.restart;
        this.counts.engineRestarts++;
        log('second engine back');
      } else if (this.counts.volumeFull === 0 && progress > 0.75) {
        log(`filling the volume for ${fullSeconds} s`);
        const t = Date.now();
        this.volume.fill();
        await new Promise((r) => setTimeout(r, fullSeconds * 1000));
        this.volume.free();
        this.counts.volumeFull++;
        this.counts.volumeFullSeconds = Math.round((Date.now() - t) / 1000);
        log('volume freed');
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * Settles when no engine restart is under way. The soak kills no worker of that host and does
   * not lose it meanwhile: a restart whose watching workers die with it is the case
   * docs/operations/guarantees.md lists as not covered (the run is recorded with the exit code the engine gave it).
   */
  restartSettled(): Promise<void> {
    return this.restart.catch(() => undefined);
  }

  stop(): void {
    this.volume.free();
    this.volume.dispose();
  }
}
