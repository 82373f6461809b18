import type { Logger } from '@modelrun/logger';
import type { RunControl } from '@modelrun/run-control';
import { type CollectedLogs, type ContainerHandle, LogTail, type ModelRunner } from '@modelrun/runner';

const FLUSH_MS = 200;
const MAX_ENTRY_BYTES = 8 * 1024;

/**
 * Copies a running container's output into Redis so the API (which never touches Docker) can
 * follow it. Output is batched: a chatty model costs a few Redis writes a second, not one a line.
 * It also keeps the last `keepBytes` itself: when it saw the output through to the container's
 * stop, that is the run's log, and the worker need not ask the engine for it again.
 * @returns a function that stops the pump and gives the kept log, if it is complete.
 */
export function pumpLiveLogs(
  runner: ModelRunner,
  control: RunControl,
  handle: ContainerHandle,
  keepBytes: number,
  log: Logger,
): () => Promise<CollectedLogs | undefined> {
  const stop = new AbortController();
  const kept = new LogTail(keepBytes);
  let pending: Buffer[] = [];
  let size = 0;
  let writing = Promise.resolve();
  const flush = (): void => {
    if (size === 0) return;
    const data = Buffer.concat(pending);
    pending = [];
    size = 0;
    writing = writing
      .then(async () => {
        for (let i = 0; i < data.length; i += MAX_ENTRY_BYTES) {
          await control.appendLiveLog(handle.runId, data.subarray(i, i + MAX_ENTRY_BYTES));
        }
      })
      .catch((err: Error) => {
        log.warn('live log write failed', { error: err.message });
      });
  };
  const timer = setInterval(flush, FLUSH_MS);
  const following = runner
    .followLogs(handle, (chunk) => {
      kept.append(chunk);
      pending.push(chunk);
      size += chunk.length;
      if (size >= MAX_ENTRY_BYTES) flush();
    }, stop.signal)
    .catch((err: Error) => {
      log.warn('following the container output failed', { error: err.message });
      return false;
    });
  return async () => {
    // Let the follower drain what the container wrote last before it stopped.
    const complete = await Promise.race([following, new Promise<false>((r) => setTimeout(() => r(false), 500))]);
    stop.abort();
    clearInterval(timer);
    flush();
    await writing;
    return complete ? { bytes: kept.bytes, dropped: kept.dropped } : undefined;
  };
}
