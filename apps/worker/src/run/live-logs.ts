import type { Logger } from '@modelrun/logger';
import { LIVE_LOG_ENTRIES, LIVE_LOG_ENTRY_BYTES, type RunControl } from '@modelrun/run-control';
import { type CollectedLogs, type ContainerHandle, LogTail, type ModelRunner } from '@modelrun/runner';

const FLUSH_MS = 200;
/** What Redis keeps of a run's live output anyway: holding more for it would only be dropped there. */
export const LIVE_WINDOW_BYTES = LIVE_LOG_ENTRIES * LIVE_LOG_ENTRY_BYTES;

/**
 * Copies a running container's output into Redis so the API (which never touches Docker) can
 * follow it. Output is batched: a chatty model costs a few Redis writes a second, not one a line.
 * One write is in flight at a time; what comes meanwhile waits in a window of the newest
 * LIVE_WINDOW_BYTES, and older output that a faster model pushes out of it is skipped (counted),
 * because Redis trims to that window too. So the worker holds O(window) however fast a model
 * prints, and never slows the engine's stream: the kept log below still sees every byte.
 * It also keeps the last `keepBytes` itself: when it saw the output through to the container's
 * stop, that is the run's log, and the worker need not ask the engine for it again.
 * @returns a function that stops the pump and gives the kept log, if it is complete.
 */
export function pumpLiveLogs(runner: ModelRunner, control: RunControl, handle: ContainerHandle, keepBytes: number, log: Logger): () => Promise<CollectedLogs | undefined> {
  const stop = new AbortController();
  const kept = new LogTail(keepBytes);
  let window = new LogTail(LIVE_WINDOW_BYTES);
  /** Bytes put in the window since it was last taken (may exceed what it holds). */
  let buffered = 0;
  let seen = 0;
  let skipped = 0;
  let writing: Promise<void> | undefined;
  const flush = (): void => {
    if (writing || buffered === 0) return;
    const data = window.bytes;
    skipped += window.dropped;
    window = new LogTail(LIVE_WINDOW_BYTES);
    buffered = 0;
    writing = control
      .appendLiveLogs(handle.runId, entries(data))
      .catch((err: Error) => {
        log.warn('live log write failed', { error: err.message });
      })
      .finally(() => {
        writing = undefined;
        if (buffered >= LIVE_LOG_ENTRY_BYTES) flush();
      });
  };
  const timer = setInterval(flush, FLUSH_MS);
  const following = runner
    .followLogs(
      handle,
      (chunk) => {
        seen += chunk.length;
        kept.append(chunk);
        window.append(chunk);
        buffered += chunk.length;
        if (buffered >= LIVE_LOG_ENTRY_BYTES) flush();
      },
      stop.signal,
    )
    .catch((err: Error) => {
      log.warn('following the container output failed', { error: err.message });
      return false;
    });
  return async () => {
    // Let the follower drain what the container wrote last before it stopped.
    const complete = await Promise.race([following, new Promise<false>((r) => setTimeout(() => r(false), 500))]);
    stop.abort();
    clearInterval(timer);
    // The last window goes out after the write in flight: in order, and before the caller clears the run's side state.
    while (writing || buffered > 0) {
      if (writing) await writing;
      else flush();
    }
    log[skipped > 0 ? 'info' : 'debug']('live output followed', { bytes: seen, droppedLive: skipped, complete });
    return complete ? { bytes: kept.bytes, dropped: kept.dropped } : undefined;
  };
}

/** Splits output into live log entries of at most LIVE_LOG_ENTRY_BYTES. */
function entries(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += LIVE_LOG_ENTRY_BYTES) out.push(data.subarray(i, i + LIVE_LOG_ENTRY_BYTES));
  return out;
}
