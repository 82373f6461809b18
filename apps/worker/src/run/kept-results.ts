import { DETAILS_FILE, DETAILS_FILE_MAX_BYTES, type DetailsFile, type RunRecord, detailsTooLargeMessage, parseDetailsFile } from '@modelrun/contracts';
import type { ContainerHandle, EvaluationOptions, OutputContents, Outcome } from '@modelrun/runner';
import { isVolumeError } from '../recording/volume-health';
import type { AdmittedRun, ProcessorDeps } from './context';

/** What a benchmark run's record says of its results beside its score. */
export type KeptResults = Pick<RunRecord, 'evaluatorImage' | 'hasDetails' | 'detailsError' | 'predictionsBytes'>;

/** What collect reads of the evaluator's output beside its score: its details file, within its cap. */
export const DETAILS_READ = { name: DETAILS_FILE, maxBytes: DETAILS_FILE_MAX_BYTES } as const;

export type DetailsVerdict = { details: DetailsFile } | { error: string } | Record<string, never>;

/**
 * What the evaluator's details file means for the record: kept when it is valid, else a reason
 * for the submitter (never a quote of the file: it is the evaluator's text). No file: nothing.
 */
export function judgeDetails(found: OutputContents['details']): DetailsVerdict {
  if (!found) return {};
  if (!found.regular) return { error: `${DETAILS_FILE} is not a regular file` };
  if (found.size > DETAILS_FILE_MAX_BYTES || !found.bytes) return { error: detailsTooLargeMessage(found.size) };
  const parsed = parseDetailsFile(found.bytes);
  return parsed.ok ? { details: parsed.value } : { error: parsed.message };
}

/** Keeps the predictions handed to the evaluator (KEEP_PREDICTIONS), so they can be downloaded and re-scored. */
export function predictionsKeeper(deps: ProcessorDeps, ctx: AdmittedRun): EvaluationOptions {
  const results = deps.results;
  if (!results || deps.keepPredictions === false) return {};
  return {
    keepPredictions: (tar) =>
      results.writePredictions(ctx.run.name, ctx.run.id, tar).catch((err: unknown) => {
        // Kept for the submitter and re-scoring, not for the score: a volume that refuses them
        // must not cost the run its evaluation (the record waits for the volume on its own).
        if (!isVolumeError(err)) throw err;
        ctx.log.warn('the volume refused the predictions; they are not kept', { error: (err as Error).message });
      }),
  };
}

/**
 * After the evaluator stopped: which image scored the run, its details (validated, stored
 * beside the record before the record is written) and the size of the kept predictions.
 */
export async function keepResults(deps: ProcessorDeps, ctx: AdmittedRun, evaluator: ContainerHandle, image: string, outcome: Outcome, output: OutputContents | undefined): Promise<KeptResults> {
  const [evaluatorImage, predictionsBytes] = await Promise.all([
    deps.runner.imageIdentity?.(evaluator, image),
    deps.results && deps.keepPredictions !== false ? deps.results.predictionsBytes(ctx.run.name, ctx.run.id).catch(() => undefined) : undefined,
  ]);
  const kept: KeptResults = { ...(evaluatorImage && { evaluatorImage }), ...(predictionsBytes !== undefined && { predictionsBytes }) };
  // Only a scored run's details are kept: a rejection or a failed evaluator has its own words.
  if (outcome.status !== 'succeeded' || !deps.results) return kept;
  const verdict = judgeDetails(output?.details);
  if ('error' in verdict) {
    ctx.log.warn("the evaluator's details are left out", { error: verdict.error });
    return { ...kept, detailsError: verdict.error };
  }
  if (!('details' in verdict)) return kept;
  try {
    await deps.results.writeDetails(ctx.run.name, ctx.run.id, verdict.details);
  } catch (err) {
    if (!isVolumeError(err)) throw err;
    ctx.log.warn('the volume refused the details; they are not kept', { error: (err as Error).message });
    return { ...kept, detailsError: 'the detailed results could not be stored' };
  }
  return { ...kept, hasDetails: true };
}
