import type Docker from 'dockerode';
import { infrastructure, isEngineGone } from './docker-errors';
import { EngineLostError, HandedBackError } from './errors';
import type { WaitOptions } from './model-runner';

/** How often a waiting run checks on its container besides the engine's own wait. */
const WAIT_POLL_MS = 2_000;

export interface StopReason {
  /** This wait stopped the container at its deadline. */
  timedOut: boolean;
  /** This wait stopped the container because the run was cancelled. */
  cancelled: boolean;
}

/**
 * Waits until the container stops: on its own, stopped at `deadline`, or stopped on cancel.
 * Throws HandedBackError (container left running) when `opts.handback` aborts, and an
 * infrastructure error when the engine cannot be asked.
 * @param stop stops the container; true if it was running (false: it had already exited).
 */
export async function waitForStop(docker: Docker, id: string, deadline: number, opts: WaitOptions, stop: () => Promise<boolean>): Promise<StopReason> {
  const reason: StopReason = { timedOut: false, cancelled: false };
  const waitAbort = new AbortController();
  const cleanups: (() => void)[] = [];
  let stopping: Promise<void> | undefined;

  // The engine's long-poll wait answers the moment the container exits, but a connection cut
  // mid-wait (dockerd restarting) leaves dockerode's promise pending forever. A slow inspect
  // loop beside it notices both an exit and an engine that has gone away.
  // A wait cut before the engine answered rejects instead (socket hang up): that too is left to
  // the inspect loop, which rides out a blip and fails on an outage. An engine that answered
  // with an error (the container is gone) is believed at once.
  const engineWait = docker
    .getContainer(id)
    .wait({ abortSignal: waitAbort.signal } as Docker.ContainerWaitOptions)
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== undefined) throw err;
      return new Promise<never>(() => undefined);
    });
  const exited = Promise.race([engineWait, pollUntilStopped(docker, id, waitAbort.signal)]);
  // A stop that finds the container already exited does not count: it finished on its own.
  const stopFor = (why: keyof StopReason): void => {
    stopping ??= stop().then((stopped) => {
      if (stopped) reason[why] = true;
    });
  };
  const handedBack = new Promise<never>((_, reject) => {
    if (!opts.handback) return;
    const onHandback = (): void => {
      waitAbort.abort();
      reject(new HandedBackError());
    };
    if (opts.handback.aborted) return onHandback();
    opts.handback.addEventListener('abort', onHandback, { once: true });
    cleanups.push(() => opts.handback?.removeEventListener('abort', onHandback));
  });
  handedBack.catch(() => undefined);
  const timer = setTimeout(() => stopFor('timedOut'), Math.max(0, deadline - Date.now()));
  if (opts.cancel) {
    const onCancel = (): void => stopFor('cancelled');
    if (opts.cancel.aborted) onCancel();
    else opts.cancel.addEventListener('abort', onCancel, { once: true });
    cleanups.push(() => opts.cancel?.removeEventListener('abort', onCancel));
  }
  try {
    await Promise.race([exited, handedBack]);
  } catch (err) {
    if (err instanceof HandedBackError) throw err;
    // The engine went away while the container ran: the retry must know when (engine-restart.ts).
    if (isEngineGone(err)) throw new EngineLostError(infrastructure('wait for the container (the engine went away)', err).message, new Date().toISOString(), { cause: err });
    throw infrastructure('wait for the container', err);
  } finally {
    clearTimeout(timer);
    cleanups.forEach((c) => c());
    waitAbort.abort();
  }
  // The wait ends when the container stops, which can be before the stop call returns.
  if (stopping) await stopping;
  return reason;
}

/** Tries of one check (1.5 s in all) before the engine counts as gone: a blip is ridden out, an outage is not. */
const CHECK_TRIES = 4;
const CHECK_RETRY_MS = 500;

/** Resolves when the container is no longer running; rejects if the engine cannot say. */
async function pollUntilStopped(docker: Docker, id: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS).unref());
    if (signal.aborted) return;
    if (!(await isRunning(docker, id, signal))) return;
  }
}

async function isRunning(docker: Docker, id: string, signal: AbortSignal): Promise<boolean> {
  for (let i = 1; ; i++) {
    try {
      return (await docker.getContainer(id).inspect()).State.Running;
    } catch (err) {
      // An answer (a 404: the container is gone) is not a blip; only an engine that did not answer is.
      if (i >= CHECK_TRIES || signal.aborted || (err as { statusCode?: number }).statusCode !== undefined) throw err;
      await new Promise((resolve) => setTimeout(resolve, CHECK_RETRY_MS).unref());
    }
  }
}
