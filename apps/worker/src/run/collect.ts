import type { KeptResults } from './kept-results';
import { type CollectedLogs, EngineStoppedError, type Outcome, type OutputContents, OutputDroppedError, classify } from '@modelrun/runner';
import type { ProcessorDeps, RunContext, RunTimes } from './context';
import type { Executed } from './execute';
import { decideEnd } from './faults';
import { logDroppedOutput } from './dropped-output';

export interface Collected {
  outcome: Outcome;
  times: RunTimes;
  logs: CollectedLogs;
  /** A benchmark run: its evaluator's image, details and kept predictions, for the record. */
  results?: KeptResults;
}

/**
 * Reads what the stopped container left: its score (only when it exited 0 on its own) and its
 * output, then decides how the run ended. Phase `collecting`.
 */
export async function collectResult(deps: ProcessorDeps, ctx: RunContext, { handle, exit, followed, heldThroughEngineLoss }: Executed): Promise<Collected> {
  ctx.progress('collecting', { ...(handle.startedAt && { startedAt: handle.startedAt }) });
  // Read after a failing exit too (bounded by the caps), where only a write past a cap counts
  // (classify); a copy that breaks then leaves the exit code to speak, as it did before.
  const readOutput = !exit.cancelled && !exit.timedOut && !exit.oomKilled;
  const readAll = (): Promise<OutputContents | undefined> => (exit.exitCode === 0 ? deps.runner.collect(handle) : deps.runner.collect(handle).catch(() => undefined));
  // The follower saw the whole output unless it broke off; only then ask the engine again.
  // Settled both, so the follower has stopped whatever the copy of the output did.
  const [read, kept] = await Promise.allSettled([readOutput ? readAll() : undefined, followed.then((f) => f ?? deps.runner.logs(handle))]);
  if (read.status === 'rejected') throw read.reason;
  if (kept.status === 'rejected') throw kept.reason;
  const [output, logs] = [read.value, kept.value];
  const outcome = classify(exit, output, ctx.limits);
  const end = decideEnd(exit, outcome, { heldThroughEngineLoss, ...(output && { entries: output.entries, dropped: output.dropped === true, engineClosing: output.engineClosing === true }) });
  if (end.kind === 'rerun') {
    if (end.fault instanceof OutputDroppedError) await logDroppedOutput(deps.runner, handle, end.fault, ctx.log, "the run's model");
    // The retry must not adopt this container: it is removed, so the run starts in a new one.
    // The engine that stopped it is often still going down and refuses the removal (its volume
    // store closed: "database not open"); the try is still the engine's stop, and the retry
    // removes or adopts what is left, as after any infrastructure fault.
    await deps.runner.remove(handle).catch((err: unknown) => {
      throw end.fault instanceof EngineStoppedError ? new EngineStoppedError(end.fault.exitCode, err) : end.fault;
    });
    throw end.fault;
  }
  return {
    outcome,
    times: { startedAt: exit.startedAt ?? handle.startedAt, finishedAt: exit.finishedAt },
    logs,
  };
}
