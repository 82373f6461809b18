import { z } from 'zod';
import { BenchmarkView } from './benchmark';
import { ModelName } from './model-name';
import { MetricName } from './score';
import { RunView } from './run';

export const MODEL_SORTS = ['score', 'name', 'latest', 'runs'] as const;
export type ModelSort = (typeof MODEL_SORTS)[number];

/** What the leaderboard keeps of a run: enough for listings; the full record stays on disk. */
export const RunSummary = RunView.pick({
  id: true,
  name: true,
  image: true,
  benchmark: true,
  /** Who submitted it and the image it really ran, for the boards (absent on runs from before they were recorded). */
  submittedBy: true,
  imageDigest: true,
  status: true,
  phase: true,
  reason: true,
  exitCode: true,
  score: true,
  /** Kept for benchmark runs only: their metrics are the benchmark leaderboard's columns. */
  metrics: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  durationMs: true,
  /** A benchmark run: the evaluator image that gave its current score, so a board can say which runs an older evaluator scored. */
  evaluatorImage: true,
}).extend({
  scoredAt: z.string().describe('A benchmark run: when its current score was given (its last re-score, else its finish)').optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

const Count = z.number().int().nonnegative();

/** A model on the leaderboard. */
export const ModelSummary = z.strictObject({
  name: ModelName,
  runCount: Count,
  latestRun: RunSummary,
  /** The succeeded run with the highest score (scores are higher-is-better). */
  bestRun: RunSummary.optional(),
  bestScore: z.number().optional(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

/** `GET /v1/models`: one page of the leaderboard. */
export const ModelListQuery = z.strictObject({
  sort: z.enum(MODEL_SORTS).default('score'),
  /** Default: ascending for `name`, descending for the others. */
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const Page = { total: Count, limit: Count, offset: Count };

export const ModelPage = z.strictObject({
  models: z.array(ModelSummary),
  sort: z.enum(MODEL_SORTS),
  order: z.enum(['asc', 'desc']),
  ...Page,
});
export type ModelPage = z.infer<typeof ModelPage>;

/** `GET /v1/models/{name}`: one model and a page of its runs, newest first. */
export const ModelRunsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const ModelDetail = ModelSummary.extend({
  runs: z.array(RunSummary),
  limit: Count,
  offset: Count,
});
export type ModelDetail = z.infer<typeof ModelDetail>;

/** `GET /v1/benchmarks/{name}/leaderboard`: sort by any of its metrics, best first in that metric's own direction. */
export const BenchmarkLeaderboardQuery = z.strictObject({
  /** A metric of the benchmark; default its primary metric. */
  sort: MetricName.optional(),
  /** `best` first (the metric's direction: highest for `higher`, lowest for `lower`) or `worst` first. */
  order: z.enum(['best', 'worst']).default('best'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  /** Only the runs submitted in this phase of the benchmark. */
  phase: z.string().max(63).optional(),
  /** `public` (default) or `private`: the scores on the private part, for operators and admins until it is revealed. */
  board: z.enum(['public', 'private']).default('public'),
});

/** A model on a benchmark's leaderboard: its best scored run by the primary metric, whose metrics are the row's columns. */
export const BenchmarkEntry = z.strictObject({
  /** Place in this listing, from 1. */
  rank: z.number().int().positive(),
  name: ModelName,
  /** The model's succeeded runs on this benchmark. */
  scoredRuns: Count,
  bestRun: RunSummary,
  metrics: z.record(z.string(), z.number()),
  olderEvaluator: z.boolean().describe("The run was scored by another evaluator than the board's current one (currentEvaluator): a re-score would update it").optional(),
});
export type BenchmarkEntry = z.infer<typeof BenchmarkEntry>;

export const BenchmarkLeaderboard = z.strictObject({
  benchmark: BenchmarkView,
  sort: MetricName,
  order: z.enum(['best', 'worst']),
  entries: z.array(BenchmarkEntry),
  ...Page,
  board: z.enum(['public', 'private']).describe("Which scores rank: the public part's or the private part's").optional(),
  currentEvaluator: z.string().describe("The evaluator image of the board's most recently scored or re-scored run: entries scored by another say olderEvaluator").optional(),
});
export type BenchmarkLeaderboard = z.infer<typeof BenchmarkLeaderboard>;
