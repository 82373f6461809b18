import { type AppliedLimits, containerName, newRunId, parseScoreFile, pinnedImageRef } from '@modelrun/contracts';
import { type ContainerHandle, type ExitInfo, type ModelRunner, ModelFault, type Outcome, type OutputContents, classify } from '@modelrun/runner';

/** What was found about the score file, told apart more finely than the verdict needs. */
export type ScoreCheck =
  { state: 'not_read'; why: string } | { state: 'missing' } | { state: 'invalid'; problem: string } | { state: 'valid'; file: string; score: number; metrics?: Record<string, number> };

export interface Validation {
  image: string;
  container: string;
  limits: AppliedLimits;
  /** The worker's own verdict on this run (classify). */
  outcome: Outcome;
  score: ScoreCheck;
  exit?: ExitInfo;
  /** From asking the engine to start the container to seeing it stop (the engine's own start and finish times can even come out reversed for a short run). */
  durationMs?: number;
  logs?: { text: string; dropped: number };
}

export interface ValidateInput {
  image: string;
  name: string;
  limits: AppliedLimits;
  /** Names the container, as a queue prefix names the worker's (containerName). */
  deployment: string;
  /** Aborting stops the container; the run ends `cancelled`. */
  cancel?: AbortSignal;
  onPhase?: (phase: 'preparing' | 'running' | 'collecting', detail?: string) => void;
  onOutput?: (chunk: Buffer) => void;
}

/**
 * Runs an image once through the worker's own runner (same container spec, time limit,
 * output reading and classification) and reports what happened. The container is always
 * removed. Throws InfrastructureError when Docker itself fails: then nothing was learnt.
 */
export async function validateImage(runner: ModelRunner, input: ValidateInput): Promise<Validation> {
  const runId = newRunId();
  const base = { image: pinnedImageRef(input.image), container: containerName(input.deployment, runId), limits: input.limits };
  input.onPhase?.('preparing');
  let handle: ContainerHandle;
  try {
    handle = await runner.prepare({ runId, name: input.name, image: input.image, limits: input.limits });
  } catch (err) {
    if (!(err instanceof ModelFault)) throw err;
    return { ...base, outcome: { status: 'failed', reason: err.reason, error: err.message, exitCode: null }, score: { state: 'not_read', why: 'the container never ran' } };
  }
  try {
    if (input.cancel?.aborted) {
      return {
        ...base,
        outcome: { status: 'cancelled', reason: 'cancelled', error: 'interrupted before the model started', exitCode: null },
        score: { state: 'not_read', why: 'the container never ran' },
      };
    }
    const startedMs = Date.now();
    handle = await runner.start(handle);
    input.onPhase?.('running', base.container);
    const follow = new AbortController();
    const following = input.onOutput ? runner.followLogs(handle, input.onOutput, follow.signal).catch(() => undefined) : undefined;
    let exit: ExitInfo;
    let durationMs = 0;
    try {
      exit = await runner.wait(handle, input.limits, input.cancel ? { cancel: input.cancel } : {});
      durationMs = Date.now() - startedMs;
    } finally {
      follow.abort();
      await following;
    }
    input.onPhase?.('collecting');
    // Read even after a failure, to tell the author what the model left; the verdict below
    // is still the worker's, which ignores the output of a model that did not exit 0.
    const output = exit.cancelled ? undefined : await runner.collect(handle);
    const logs = await runner.logs(handle);
    return {
      ...base,
      outcome: classify(exit, output, input.limits),
      score: checkScore(output),
      exit,
      durationMs,
      logs: { text: logs.bytes.toString('utf8'), dropped: logs.dropped },
    };
  } finally {
    await runner.remove(handle);
  }
}

function checkScore(output: OutputContents | undefined): ScoreCheck {
  if (!output) return { state: 'not_read', why: 'the run was interrupted' };
  if (output.problem) return { state: 'invalid', problem: output.problem };
  if (!output.score) return { state: 'missing' };
  const parsed = parseScoreFile(output.score.file, output.score.bytes);
  if (!parsed.ok) return { state: 'invalid', problem: parsed.message };
  return { state: 'valid', file: output.score.file, score: parsed.value.score, ...(parsed.value.metrics && { metrics: parsed.value.metrics }) };
}
