import { z } from 'zod';
import { LABEL_KEY, LABEL_VALUE } from './fleet';

/**
 * The label every host has once for each runtime its engine offers (`runtime=runc`,
 * `runtime=runsc`): a host with both satisfies a run that requires either.
 */
export const RUNTIME_LABEL = 'runtime';

/** A runtime's name as the engine registers it (`runsc` for gVisor, `runc`). */
export const RuntimeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a runtime name as the engine registers it, e.g. runsc or runc');

const LabelKey = z.string().regex(LABEL_KEY, 'must start with a letter, then letters, digits . _ - / (up to 63)');
const LabelValue = z.string().regex(LABEL_VALUE, 'must be 1-63 of letters, digits . _ -');

/** Labels a run needs its host to have (`{reference: 'digits'}`): a benchmark's, or a submission's where RUN_ALLOWED_LABELS allows the key. */
export const RequiredLabels = z.record(LabelKey, LabelValue).refine((r) => Object.keys(r).length <= 16, 'may name at most 16 labels');
export type RequiredLabels = z.infer<typeof RequiredLabels>;

/** One requirement of a run's host, `key=value`, as a job carries it (runtimes included). */
export const Requirement = z.string().regex(/^[A-Za-z][A-Za-z0-9._/-]{0,62}=[A-Za-z0-9._-]{1,63}$/, 'must be key=value');

/** A benchmark's runtimes: its model's and, separately, its trusted evaluator's (the deployment's RUN_RUNTIME where unset). */
export const BenchmarkRuntimes = z.strictObject({ model: RuntimeName.optional(), evaluator: RuntimeName.optional() });
export type BenchmarkRuntimes = z.infer<typeof BenchmarkRuntimes>;
