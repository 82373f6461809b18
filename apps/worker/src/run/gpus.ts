import { DelayedError } from 'bullmq';
import type { GpuHold, ProcessorDeps, RunContext } from './context';

const GPU_WAIT_MS = 2_000;

/**
 * Gives a run that asks for GPUs its own devices, by id, before anything else is done for it
 * (before it is claimed for this host, so a busy host leaves it to another). A run whose
 * container is already on this engine keeps the devices that container holds. With too few
 * free devices here the run goes back to the queue for a short while, untouched: another GPU
 * worker may take it, or this one once a container is gone. A run cancelled meanwhile needs
 * no devices: it goes on, to be recorded as cancelled.
 */
export async function takeGpus(deps: ProcessorDeps, ctx: RunContext, token: string | undefined): Promise<GpuHold | undefined> {
  const { run, job, log } = ctx;
  const want = run.limits.gpus;
  if (want === 0) return undefined;
  const result = deps.gpus ? await deps.gpus.reserve(run.id, want) : { kind: 'busy' as const, free: 0, never: true };
  switch (result.kind) {
    case 'own-container':
      return { devices: result.devices };
    case 'reserved':
      log.info('GPU devices reserved', { devices: result.reservation.devices });
      return { devices: result.reservation.devices, reservation: result.reservation };
    case 'busy': {
      if (await deps.control.cancelRequestedAt(run.id)) return undefined;
      const delayMs = deps.gpuWaitMs ?? GPU_WAIT_MS;
      log.info('not enough free GPUs on this worker; the run goes back to the queue', { want, free: result.free, never: result.never, delayMs });
      await job.moveToDelayed(Date.now() + delayMs, token);
      throw new DelayedError();
    }
  }
}
