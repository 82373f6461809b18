import type { ContainerHandle } from '@modelrun/runner';
import type { ProcessorDeps, RunContext } from './context';

/**
 * Where a run gets its container: the one a previous delivery of the run left (adopted), or a
 * new one from its image (pulled first when the host lacks it). Phases `pulling` → `starting`.
 */
export async function prepareContainer(deps: ProcessorDeps, ctx: RunContext): Promise<ContainerHandle> {
  const { job, run, limits, log } = ctx;
  ctx.progress('pulling');
  log.info('preparing container', { image: run.image });
  // A first delivery cannot have a container yet: skip looking (create still adopts on 409).
  const firstDelivery = job.attemptsStarted <= 1 && job.stalledCounter === 0;
  const handle = await deps.runner.prepare({ runId: run.id, name: run.name, image: run.image, limits, ...(ctx.owner && { owner: ctx.owner }) }, () => ctx.progress('starting'), { firstDelivery });
  if (handle.adopted) {
    log.info("adopted the run's existing container", { containerId: handle.id, state: handle.state });
    deps.observer?.adopted?.();
  }
  return handle;
}
