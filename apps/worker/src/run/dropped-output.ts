import type { Logger } from '@modelrun/logger';
import type { ContainerHandle, ModelRunner, OutputDroppedError } from '@modelrun/runner';

/**
 * Logs a dropped output (faults.ts droppedOutput) with what catches it in the act: the keeper's
 * state and the engine's events for the container, its keeper and its volume. A dropped output
 * is rare and retried, so it is worth the few engine calls; they never fail the retry.
 */
export async function logDroppedOutput(runner: ModelRunner, handle: Pick<ContainerHandle, 'id'>, fault: OutputDroppedError, log: Logger, what: string): Promise<void> {
  const report = await runner.outputHoldReport?.(handle).catch((err: Error) => ({ error: err.message }));
  log.warn(`${what}: its output was dropped (read back empty while nothing held it); retried as the platform's fault`, {
    containerId: handle.id,
    error: fault.message,
    ...(report && { hold: report }),
  });
}
