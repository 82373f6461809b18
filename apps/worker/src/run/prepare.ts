import type { PullProgress } from '@modelrun/contracts';
import { type ContainerHandle, throttled } from '@modelrun/runner';
import { ATTR, endSpan, failed, startSpan } from '@modelrun/telemetry';
import type { AdmittedRun, ProcessorDeps } from './context';
import { scoringFor } from './evaluate';

const PULL_PROGRESS_MS = 500;

/**
 * Where a run gets its container: the one a previous delivery of the run left (adopted), or a
 * new one from its image (pulled first when the host lacks it). Phases `pulling` → `starting`.
 */
export async function prepareContainer(deps: ProcessorDeps, ctx: AdmittedRun): Promise<ContainerHandle> {
  const { job, run, limits, log } = ctx;
  // A benchmark run this worker cannot score is not worth running its model for.
  // Its model runs under the benchmark's runtime, from this worker's own definition, never the job's.
  const runtime = run.benchmark !== undefined ? scoringFor(deps, run).benchmark.runtime?.model : undefined;
  ctx.progress('pulling');
  // A first delivery cannot have a container or a pinned image yet: skip looking for either
  // (create still adopts on 409).
  const firstDelivery = job.attemptsStarted <= 1 && job.stalledCounter === 0;
  // A later try (a retry, a redelivery, a takeover) runs the image the first pull resolved to,
  // never the tag again: the tag may have been pushed again since.
  const pinned = firstDelivery ? undefined : await deps.control.pinnedImage(run.id);
  const image = pinned ?? run.image;
  log.info('preparing container', { image, ...(pinned && { tag: run.image }) });
  // Pull progress goes to Redis at most twice a second, however fast the engine reports it.
  const pulled = throttled((pull: PullProgress) => ctx.progress('pulling', { pull }), PULL_PROGRESS_MS);
  // Traced: the container's create, and within it the image's look-up (a pull when the host
  // lacks it), which ends when the runner has the image.
  const create = startSpan('run.container.create', { [ATTR.image]: image });
  const lookUp = startSpan('run.pull', { [ATTR.image]: image }, create);
  let handle: ContainerHandle;
  try {
    handle = await deps.runner.prepare(
      {
        runId: run.id,
        name: run.name,
        image,
        limits,
        owner: ctx.claim.owner,
        ...(run.benchmark && { benchmark: run.benchmark }),
        ...(ctx.gpuDevices && { gpuDevices: ctx.gpuDevices }),
        ...(runtime && { runtime }),
      },
      () => {
        pulled.flush();
        endSpan(lookUp);
        ctx.progress('starting');
      },
      {
        firstDelivery,
        onPullProgress: (progress) => {
          // Progress comes only from a pull: the host did not have the image.
          lookUp.setAttribute(ATTR.pulled, true);
          pulled.call(progress);
        },
      },
    );
    create.setAttributes({ [ATTR.containerId]: handle.id, [ATTR.adopted]: handle.adopted === true });
  } catch (err) {
    failed(create, err);
    throw err;
  } finally {
    pulled.cancel();
    endSpan(lookUp);
    endSpan(create);
  }
  if (handle.adopted) {
    log.info("adopted the run's existing container", { containerId: handle.id, state: handle.state });
    deps.observer?.adopted?.();
  }
  const digest = pinned ?? (await pinImage(deps, ctx));
  ctx.imagePin = digest ? { digest } : {};
  return handle;
}

/**
 * Keeps what the run's image resolved to at its first pull (`repo@sha256:…`) for every later
 * try and for the record. An image without a registry digest (built on the host) stays as named;
 * a failure to look is not the run's: the next try looks again.
 */
async function pinImage(deps: ProcessorDeps, ctx: AdmittedRun): Promise<string | undefined> {
  const digest = await deps.runner.resolveDigest?.(ctx.run.image).catch(() => undefined);
  if (!digest) return undefined;
  const pinned = await deps.control.pinImage(ctx.run.id, digest).catch(() => undefined);
  if (pinned) ctx.log.info('image pinned', { image: ctx.run.image, digest: pinned });
  return pinned;
}
