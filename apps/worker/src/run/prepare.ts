import type { PullProgress } from '@modelrun/contracts';
import { type ContainerHandle, throttled } from '@modelrun/runner';
import type { AdmittedRun, ProcessorDeps } from './context';
import { benchmarkOf } from './evaluate';

const PULL_PROGRESS_MS = 500;

/**
 * Where a run gets its container: the one a previous delivery of the run left (adopted), or a
 * new one from its image (pulled first when the host lacks it). Phases `pulling` → `starting`.
 */
export async function prepareContainer(deps: ProcessorDeps, ctx: AdmittedRun): Promise<ContainerHandle> {
  const { job, run, limits, log } = ctx;
  // A benchmark run this worker cannot score is not worth running its model for.
  if (run.benchmark !== undefined) benchmarkOf(deps, run.benchmark);
  ctx.progress('pulling');
  log.info('preparing container', { image: run.image });
  // A first delivery cannot have a container yet: skip looking (create still adopts on 409).
  const firstDelivery = job.attemptsStarted <= 1 && job.stalledCounter === 0;
  // Pull progress goes to Redis at most twice a second, however fast the engine reports it.
  const pulled = throttled((pull: PullProgress) => ctx.progress('pulling', { pull }), PULL_PROGRESS_MS);
  let handle: ContainerHandle;
  try {
    handle = await deps.runner.prepare(
      { runId: run.id, name: run.name, image: run.image, limits, owner: ctx.claim.owner, ...(run.benchmark && { benchmark: run.benchmark }), ...(ctx.gpuDevices && { gpuDevices: ctx.gpuDevices }) },
      () => {
        pulled.flush();
        ctx.progress('starting');
      },
      { firstDelivery, onPullProgress: pulled.call },
    );
  } finally {
    pulled.cancel();
  }
  if (handle.adopted) {
    log.info("adopted the run's existing container", { containerId: handle.id, state: handle.state });
    deps.observer?.adopted?.();
  }
  return handle;
}
