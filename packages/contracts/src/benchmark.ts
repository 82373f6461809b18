import { z } from 'zod';
import { ImageReference } from './image-ref';
import { AppliedLimits, RequestedLimits } from './limits';
import { MODEL_NAME_PATTERN } from './model-name';
import { MetricName } from './score';
import { BenchmarkRuntimes, RUNTIME_LABEL, RequiredLabels } from './requirements';
import { RunPriority } from './priority';
import { phaseProblems } from './benchmark-phases';

/** Benchmark names share the model names' alphabet: they appear in paths and Redis keys. */
export const BenchmarkName = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .regex(MODEL_NAME_PATTERN, 'must be 1-63 of a-z 0-9 . _ - and start with a letter or digit');

export const METRIC_DIRECTIONS = ['higher', 'lower'] as const;
export type MetricDirection = (typeof METRIC_DIRECTIONS)[number];

export const BenchmarkMetric = z.strictObject({
  name: MetricName,
  /** Which way is better: `higher` (accuracy) or `lower` (error rate, loss). */
  direction: z.enum(METRIC_DIRECTIONS, 'must be "higher" or "lower"'),
  description: z.string().max(500).optional(),
});
export type BenchmarkMetric = z.infer<typeof BenchmarkMetric>;

/** Where the evaluator's hidden reference data comes from: exactly one of the two. */
export const ReferenceData = z.union(
  [
    z.strictObject({ volume: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a Docker volume name') }),
    z.strictObject({ hostPath: z.string().regex(/^\//, 'must be an absolute path on every worker host') }),
  ],
  'must be {volume: <docker volume>} or {hostPath: <absolute folder on every worker host>}',
);
export type ReferenceData = z.infer<typeof ReferenceData>;

const Count = z.number().int().positive('must be a positive whole number');

export const BenchmarkQuotas = z.strictObject({
  /** Counted submissions (failed and cancelled runs are not counted) per caller in any 24 hours. */
  perDay: Count.optional(),
  /** Runs per caller queued or running at once. */
  concurrent: Count.optional(),
  /** Whom the quotas count: each user (default), or each team, whose members then share them. */
  per: z.enum(['user', 'team']).optional(),
});
export type BenchmarkQuotas = z.infer<typeof BenchmarkQuotas>;

/** A time in BENCHMARKS_FILE: ISO-8601 with its zone, so every host reads the same instant. */
const PhaseTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time with its zone, like 2027-01-31T23:59:59Z' });

export const BOARD_RULES = ['best', 'last', 'selected'] as const;
export type BoardRule = (typeof BOARD_RULES)[number];
/** How many runs a submitter may select per model when `selectLimit` is left out. */
export const DEFAULT_SELECT_LIMIT = 2;

export const BoardRuleConfig = z.strictObject({
  rule: z.enum(BOARD_RULES, 'must be "best", "last" or "selected"').default('best'),
  /** `selected`: how many runs of a model its submitter may select (default 2). */
  selectLimit: Count.max(100).optional(),
});
export type BoardRuleConfig = z.infer<typeof BoardRuleConfig>;

/** A submission window of a benchmark (`development`, `final`): its runs may have their own quotas, evaluator and reference. */
export const BenchmarkPhase = z.strictObject({
  name: BenchmarkName,
  /** Opens at `start` (included), closes at `end` (excluded). */
  start: PhaseTime,
  end: PhaseTime,
  /** Replace the benchmark's quotas while the phase is open; counted afresh in each phase. */
  quotas: BenchmarkQuotas.optional(),
  /** Replace the benchmark's evaluator and reference for the runs submitted in the phase. */
  evaluator: z.strictObject({ image: ImageReference, limits: RequestedLimits.optional() }).optional(),
  reference: ReferenceData.optional(),
  /** The rule of the phase's board (`?phase=`), its selection limit counted in the phase; absent: the benchmark's (./phase-board-rules.ts). */
  board: BoardRuleConfig.optional(),
});
export type BenchmarkPhase = z.infer<typeof BenchmarkPhase>;

/** One benchmark as the operator defines it in BENCHMARKS_FILE. */
export const BenchmarkDefinition = z
  .strictObject({
    name: BenchmarkName,
    description: z.string().max(2000).optional(),
    /** Trusted: the operator named it, so ALLOWED_IMAGES does not apply to it. */
    evaluator: z.strictObject({ image: ImageReference, limits: RequestedLimits.optional() }),
    /** Mounted read-only at /input/reference in the evaluator, never in the model. */
    reference: ReferenceData,
    metrics: z.array(BenchmarkMetric).min(1, 'must name at least one metric').max(32),
    primaryMetric: MetricName,
    /** Limits of the model step; every run of the benchmark gets the same ones. */
    model: z.strictObject({ limits: RequestedLimits.optional() }).optional(),
    quotas: BenchmarkQuotas.optional(),
    /** Labels a host must have to take the benchmark's runs (`{reference: digits}`: the hosts holding its reference data). */
    requires: RequiredLabels.optional(),
    /** The engine runtime of its model and of its evaluator (`{model: runsc, evaluator: runc}`); only hosts whose engine has them take its runs. */
    runtime: BenchmarkRuntimes.optional(),
    /** The level of its runs, 1 first to 9 last (default 5); a run's own `priority` (operators only) goes before it. */
    priority: RunPriority.optional(),
    /** Submission windows, in order; outside every one a submission is refused (./benchmark-phases.ts). */
    phases: z.array(BenchmarkPhase).min(1, 'must list at least one phase (or leave phases out)').max(32).optional(),
    /** Which runs of a model rank (issue 19): `best` (default), `last`, or the runs its submitter `selected` (up to selectLimit) on the private board. */
    board: BoardRuleConfig.optional(),
    /** The private board (scores on the private part of the reference): revealed to everyone by an admin, or at `revealAt`. */
    privateBoard: z.strictObject({ revealAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time, e.g. 2027-03-01T00:00:00Z' }).optional() }).optional(),
  })
  .superRefine((b, ctx) => {
    const names = b.metrics.map((m) => m.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `${n} is listed twice` });
    });
    // A runtime is the engine's label, required through `runtime`, so that the worker also runs the step under it.
    if (b.requires && RUNTIME_LABEL in b.requires) {
      ctx.addIssue({ code: 'custom', path: ['requires', RUNTIME_LABEL], message: 'name runtimes in runtime: {model, evaluator}, not as a required label' });
    }
    if (!names.includes(b.primaryMetric)) {
      ctx.addIssue({ code: 'custom', path: ['primaryMetric'], message: `${b.primaryMetric} is not one of the metrics (${names.join(', ')})` });
    }
    for (const p of phaseProblems(b.phases ?? [])) ctx.addIssue({ code: 'custom', path: ['phases', ...p.path], message: p.message });
    if (b.board?.selectLimit !== undefined && b.board.rule !== 'selected') {
      ctx.addIssue({ code: 'custom', path: ['board', 'selectLimit'], message: `applies to the rule "selected" only (this board's rule is "${b.board.rule}")` });
    }
    b.phases?.forEach((p, i) => {
      if (p.board?.selectLimit !== undefined && p.board.rule !== 'selected') {
        ctx.addIssue({ code: 'custom', path: ['phases', i, 'board', 'selectLimit'], message: `applies to the rule "selected" only (this phase's board rule is "${p.board.rule}")` });
      }
    });
  });
export type BenchmarkDefinition = z.infer<typeof BenchmarkDefinition>;

/** The whole BENCHMARKS_FILE. */
export const BenchmarksFile = z.strictObject({ benchmarks: z.array(BenchmarkDefinition) }).superRefine((f, ctx) => {
  const names = f.benchmarks.map((b) => b.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['benchmarks', i, 'name'], message: `${n} is defined twice` });
  });
});
export type BenchmarksFile = z.infer<typeof BenchmarksFile>;

/** What a submitter sees of a benchmark: never its evaluator image or where its reference data is. */
export const BenchmarkView = z.strictObject({
  name: BenchmarkName,
  description: z.string().optional(),
  metrics: z.array(BenchmarkMetric),
  primaryMetric: MetricName,
  quotas: BenchmarkQuotas,
  modelLimits: AppliedLimits.describe("The limits every run of the benchmark gets (the benchmark's, the rest the defaults)").optional(),
  phases: z
    .array(
      z.strictObject({
        name: BenchmarkName,
        start: z.string().describe('When it opens (ISO-8601)'),
        end: z.string().describe('When it closes (ISO-8601)'),
        quotas: BenchmarkQuotas.describe("The quotas while it is open (its own, else the benchmark's), counted afresh in each phase"),
        board: z
          .strictObject({ rule: z.enum(BOARD_RULES), selectLimit: Count.optional() })
          .describe("The rule of the phase's board (its own, else the benchmark's); `selected`: the runs a submitter may select per model in the phase")
          .optional(),
      }),
    )
    .describe('Its submission windows, in order; absent: always open')
    .optional(),
  openPhase: z.strictObject({ name: BenchmarkName, endsAt: z.string(), secondsLeft: z.number().int().nonnegative() }).describe('The phase submissions go to now; absent when none is open').optional(),
  nextPhase: z.strictObject({ name: BenchmarkName, startsAt: z.string(), secondsUntil: z.number().int().nonnegative() }).describe('The next phase to open, when there is one').optional(),
  board: z
    .strictObject({ rule: z.enum(BOARD_RULES), selectLimit: Count.optional().describe('`selected`: runs a submitter may select per model') })
    .describe("Which runs of a model rank: its best, its last, or those its submitter selected (the private board's; the public board ranks the best)")
    .optional(),
  privateBoard: z
    .strictObject({ revealed: z.boolean(), revealAt: z.string().optional().describe('When it is revealed to everyone, if configured'), revealedAt: z.string().optional() })
    .describe('Whether the private board is revealed to everyone')
    .optional(),
});
export type BenchmarkView = z.infer<typeof BenchmarkView>;

export function viewOfBenchmark(b: BenchmarkDefinition): BenchmarkView {
  return {
    name: b.name,
    ...(b.description !== undefined && { description: b.description }),
    metrics: b.metrics,
    primaryMetric: b.primaryMetric,
    quotas: b.quotas ?? {},
    ...(b.board && { board: boardOf(b) }),
  };
}

/** The benchmark's board rule with its defaults: `best` unless BENCHMARKS_FILE says otherwise. */
export function boardOf(b: Pick<BenchmarkDefinition, 'board'>): { rule: BoardRule; selectLimit?: number } {
  const rule = b.board?.rule ?? 'best';
  return rule === 'selected' ? { rule, selectLimit: b.board?.selectLimit ?? DEFAULT_SELECT_LIMIT } : { rule };
}

/** What a self-scored run gets when it asks for no limits, and the most it may ask for. */
export const LimitPolicyView = z.strictObject({
  defaults: AppliedLimits.describe('A limit left out of a submission gets this'),
  ceilings: AppliedLimits.describe('A submission asking for more than this is refused'),
});

/** `GET /v1/benchmarks`, with the deployment's limits: what the submit form shows beside the choice. */
export const BenchmarkList = z.strictObject({
  benchmarks: z.array(BenchmarkView),
  limits: LimitPolicyView.optional(),
  allowedLabels: z.array(z.string()).describe('Label keys a submission may require of its host (RUN_ALLOWED_LABELS); absent when none').optional(),
});
export type BenchmarkList = z.infer<typeof BenchmarkList>;

/** Whether `a` is a better value than `b` for a metric in `direction`. */
export function isBetterValue(direction: MetricDirection, a: number, b: number): boolean {
  return direction === 'higher' ? a > b : a < b;
}
