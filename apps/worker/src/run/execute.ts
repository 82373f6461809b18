import type { CollectedLogs, ContainerHandle, ExitInfo } from '@modelrun/runner';
import type { ProcessorDeps, RunContext } from './context';
import { pumpLiveLogs } from './live-logs';
import { ATTR, inSpan } from '@modelrun/telemetry';

export interface Executed {
  handle: ContainerHandle;
  exit: ExitInfo;
  /**
   * The whole output when the live follower saw it through to the stop, else undefined; it
   * resolves once the follower has drained and stopped (never rejects). Await it before the run
   * is recorded: its last live-log write must come before the run's side state is cleared.
   */
  followed: Promise<CollectedLogs | undefined>;
  /** An adopted container that was running when a delivery lost its engine (a restart, or a blip). */
  heldThroughEngineLoss: boolean;
}

/**
 * Starts the container (an adopted one is left as it is) and waits for it to stop: on its own,
 * at its time limit, or when `cancel` aborts. Its output is copied to Redis as it comes, for
 * followers. Phase `running`.
 */
export function runContainer(deps: ProcessorDeps, ctx: RunContext, prepared: ContainerHandle, cancel: AbortSignal): Promise<Executed> {
  return inSpan('run.container', { [ATTR.containerId]: prepared.id, [ATTR.adopted]: prepared.adopted === true }, async (span) => {
    const executed = await startAndWait(deps, ctx, prepared, cancel);
    const { exit } = executed;
    const stop = exit.engineStopped ? 'engine_stopped' : exit.cancelled ? 'cancelled' : exit.timedOut ? 'timeout' : exit.oomKilled ? 'oom' : 'exited';
    span.setAttributes({ [ATTR.outcome]: stop, ...(exit.exitCode !== null && { [ATTR.exitCode]: exit.exitCode }) });
    return executed;
  });
}

async function startAndWait(deps: ProcessorDeps, ctx: RunContext, prepared: ContainerHandle, cancel: AbortSignal): Promise<Executed> {
  const { runner } = deps;
  const startClock = Date.now();
  const handle = await runner.start(prepared);
  if (!handle.adopted) deps.observer?.containerStarted?.(Date.now() - startClock);
  ctx.progress('running', { ...(handle.startedAt && { startedAt: handle.startedAt }), containerId: handle.id });
  ctx.log.info('container running', { containerId: handle.id });
  const stopPump = pumpLiveLogs(runner, deps.control, handle, deps.logMaxBytes, ctx.log);
  let exit: ExitInfo;
  let engineLostAt: readonly string[];
  try {
    // An adopted container may have been stopped by its engine, or (running) have lived through
    // the engine's restart, which drops its held output: say when the engine was lost.
    engineLostAt = handle.adopted ? await deps.control.engineLostAt(ctx.run.id) : [];
    exit = await runner.wait(handle, ctx.limits, { cancel, handback: deps.handback, engineLostAt });
  } catch (err) {
    await stopPump();
    throw err;
  }
  ctx.log.info('container stopped', { exitCode: exit.exitCode, oomKilled: exit.oomKilled, timedOut: exit.timedOut, cancelled: exit.cancelled, ...(exit.engineStopped && { engineStopped: true }) });
  if (exit.engineStopped) {
    // Said in Redis before anything else: an engine going down often fails the next steps too
    // (reading the output), and the retry that then adopts the exited container must know the
    // engine ended it, or it would judge the model by it (seen in an engine-restart test).
    await deps.control.noteEngineLost(ctx.run.id, exit.finishedAt ?? new Date().toISOString()).catch(() => undefined);
  }
  // The follower drains the last output while the caller already copies the output folder out.
  const startedAt = exit.startedAt ?? handle.startedAt;
  // Lost by this delivery's own watch, or by an earlier one whose container this delivery adopted.
  const heldThroughEngineLoss = exit.engineLostWhileRunning === true || (handle.adopted === true && startedAt !== undefined && engineLostAt.some((at) => at >= startedAt));
  return { handle, exit, followed: stopPump(), heldThroughEngineLoss };
}

/**
 * Aborts when the run is cancelled (the API sets a flag in Redis and announces it, so a cancel
 * reaches a run on any host: cancel-watch.ts). Started before the container is prepared, so a
 * cancel during a pull stops the run as soon as it could start.
 */
export function watchCancel(deps: ProcessorDeps, runId: string): { signal: AbortSignal; stop(): void } {
  const cancel = new AbortController();
  if (deps.cancels) return { signal: cancel.signal, stop: deps.cancels.watch(runId, () => cancel.abort()) };
  const poll = setInterval(() => {
    deps.control.cancelRequestedAt(runId).then(
      (at) => at && cancel.abort(),
      () => undefined,
    );
  }, deps.cancelPollMs ?? 1_000);
  return { signal: cancel.signal, stop: () => clearInterval(poll) };
}
