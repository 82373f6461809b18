import { z } from 'zod';
import { ERROR_CODES, FINAL_STATUSES, RUN_PHASES, RUN_STATUSES, RunRecord } from '@modelrun/contracts';

// TEMPORARY: the response schemas are moving into @modelrun/contracts (issue 12's OpenAPI work);
// until they land, derived here from the record so that nothing is written out twice.
export const RunView = RunRecord.omit({ version: true, logBytes: true }).extend({
  status: z.enum(RUN_STATUSES),
  phase: z.enum(RUN_PHASES).optional(),
  finishedAt: RunRecord.shape.finishedAt.optional(),
  attempts: RunRecord.shape.attempts.optional(),
});
export type RunView = z.infer<typeof RunView>;

export const RunSummary = RunView.pick({ id: true, name: true, image: true, status: true, phase: true, reason: true, exitCode: true, score: true, createdAt: true, startedAt: true, finishedAt: true, durationMs: true });
export type RunSummary = z.infer<typeof RunSummary>;

export const ModelSummary = z.strictObject({ name: z.string(), runCount: z.number(), latestRun: RunSummary, bestRun: RunSummary.optional(), bestScore: z.number().optional() });
export type ModelSummary = z.infer<typeof ModelSummary>;

export const ModelPage = z.strictObject({ models: z.array(ModelSummary), sort: z.string(), order: z.enum(['asc', 'desc']), total: z.number(), limit: z.number(), offset: z.number() });
export type ModelPage = z.infer<typeof ModelPage>;

export const ModelDetail = ModelSummary.extend({ runs: z.array(RunSummary), limit: z.number(), offset: z.number() });
export type ModelDetail = z.infer<typeof ModelDetail>;

const CODES = Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]];
export const ErrorBody = z.strictObject({ error: z.strictObject({ code: z.enum(CODES), message: z.string() }) });
export type ErrorBody = z.infer<typeof ErrorBody>;

const FINAL = new Set<string>(FINAL_STATUSES);
export const isFinal = (status: string): boolean => FINAL.has(status);
