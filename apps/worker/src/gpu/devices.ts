import type { ModelRunner } from '@modelrun/runner';

/** Devices set aside for one run until its container holds them (by its label) or the run ends. */
export interface DeviceReservation {
  devices: string[];
  release(): void;
}

export type ReserveResult =
  /** Free devices, now set aside for this run. */
  | { kind: 'reserved'; reservation: DeviceReservation }
  /** The run already has a container on this engine: it keeps the devices it was given. */
  | { kind: 'own-container'; devices: string[] }
  /** Not enough free devices here now (or ever: `never` when it asks for more than this worker has). */
  | { kind: 'busy'; free: number; never: boolean };

/**
 * The GPU devices this worker may hand out (WORKER_GPUS). The engine is the truth about which
 * are taken: every container holding devices says so in a label, whichever worker or deployment
 * made it, and keeps them until it is removed. So a worker that restarts, or adopts a run
 * another worker handed back, sees exactly what is taken. Reservations made here cover the
 * moment between choosing devices and creating the container; they are serialized, so two runs
 * of this process never get the same device.
 */
export class GpuDevices {
  private readonly reserved = new Map<string, string[]>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly ids: readonly string[],
    private readonly runner: Pick<ModelRunner, 'gpuDevicesInUse'>,
  ) {}

  /** How many of this worker's devices are free and held right now (for /metrics). */
  async counts(): Promise<{ free: number; held: number }> {
    const inUse = await this.runner.gpuDevicesInUse();
    const taken = new Set([...inUse.flatMap((c) => c.devices), ...[...this.reserved.values()].flat()]);
    const held = this.ids.filter((id) => taken.has(id)).length;
    return { free: this.ids.length - held, held };
  }

  reserve(runId: string, count: number): Promise<ReserveResult> {
    const next = this.queue.then(() => this.choose(runId, count));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async choose(runId: string, count: number): Promise<ReserveResult> {
    const inUse = await this.runner.gpuDevicesInUse();
    const own = inUse.find((c) => c.runId === runId);
    if (own) return { kind: 'own-container', devices: own.devices };
    const taken = new Set([...inUse.flatMap((c) => c.devices), ...[...this.reserved.values()].flat()]);
    const free = this.ids.filter((id) => !taken.has(id));
    if (free.length < count) return { kind: 'busy', free: free.length, never: count > this.ids.length };
    const devices = free.slice(0, count);
    this.reserved.set(runId, devices);
    return { kind: 'reserved', reservation: { devices, release: () => this.reserved.delete(runId) } };
  }
}
