import { errorMessage } from '../run/faults';

export interface VolumeFaultState {
  error: string;
  since: string;
}

/**
 * Whether this worker's volume takes writes. A failed record write marks it unwritable; the
 * recorder marks it writable again once a write succeeds. `onChange` is where the worker stops
 * and restarts taking runs, and tells its health check, metrics and Redis.
 */
export class VolumeHealth {
  private state: VolumeFaultState | undefined;

  constructor(private readonly onChange: (fault: VolumeFaultState | undefined) => void) {}

  get fault(): VolumeFaultState | undefined {
    return this.state;
  }

  /** The volume refused a write. The first error is kept until it is writable again. */
  failed(err: unknown): void {
    if (this.state) return;
    this.state = { error: errorMessage(err), since: new Date().toISOString() };
    this.onChange(this.state);
  }

  /** A write went through. */
  writable(): void {
    if (!this.state) return;
    this.state = undefined;
    this.onChange(undefined);
  }
}

/**
 * Whether an error came from the file system (ENOSPC, EROFS, EDQUOT, EIO, EACCES, ESTALE ...):
 * the volume's fault, worth keeping the outcome for. Anything else is a bug and is thrown.
 */
export function isVolumeError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | null;
  return typeof e?.code === 'string' && typeof e.syscall === 'string';
}
