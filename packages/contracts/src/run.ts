import { z } from 'zod';
import { ScoreHistoryEntry } from './rescore';
import { ImageReference } from './image-ref';
import { AppliedLimits, RequestedLimits } from './limits';
import { ModelName } from './model-name';
import { BenchmarkName } from './benchmark';
import { RunId } from './run-id';
import { Submitter } from './identity';
import { FAILURE_REASONS, FINAL_STATUSES, RUN_PHASES, RUN_STATUSES } from './statuses';
import { RequiredLabels, Requirement } from './requirements';
import { RunPriority } from './priority';

/** The body of `POST /v1/models`. Unknown fields are refused, not ignored. */
export const SubmitRunRequest = z.strictObject({
  image: ImageReference,
  name: ModelName,
  limits: RequestedLimits.optional(),
  /** Score the run with this benchmark's evaluator instead of trusting the model's score.json. */
  benchmark: BenchmarkName.optional(),
  /** Labels the run's host must have (`{"gpu": "a100"}`); only keys the operator allows (RUN_ALLOWED_LABELS). */
  requires: RequiredLabels.optional(),
  /** Operators and admins: the run's level, 1 first to 9 last (default: its benchmark's, else 5); a member's request with it is refused. */
  priority: RunPriority.optional(),
});
export type SubmitRunRequest = z.infer<typeof SubmitRunRequest>;

const Timestamp = z.iso.datetime();

/** The BullMQ job payload: written by the API, parsed again by the worker. */
export const RunJobData = z.strictObject({
  id: RunId,
  name: ModelName,
  image: ImageReference,
  limits: AppliedLimits,
  createdAt: Timestamp,
  /** A benchmark run: the worker takes the evaluator from its own BENCHMARKS_FILE, never from the job. */
  benchmark: BenchmarkName.optional(),
  /** Who submitted it (a token's fingerprint): whose quota the run counts against. */
  caller: z.string().max(128).optional(),
  /** Who submitted it (user and team): who may see and cancel it. Absent on jobs from before users. */
  submittedBy: Submitter.optional(),
  /** A re-run (POST /v1/runs/{id}/rerun): the run it repeats. It counts against no quota. */
  rerunOf: RunId.optional(),
  /** A re-run: the operator or admin who asked for it (submittedBy stays the original submitter). */
  requestedBy: z.string().max(128).optional(),
  /** What its host must have, `key=value` sorted (labels and runtimes): it is queued where only such hosts look. */
  requires: z.array(Requirement).max(32).optional(),
  /** A benchmark run: the phase it was submitted in, whose evaluator and reference the worker takes from its own BENCHMARKS_FILE. */
  benchmarkPhase: BenchmarkName.optional(),
});
export type RunJobData = z.infer<typeof RunJobData>;

/** How far an image pull has got: bytes downloaded, and the total once the engine knows every layer's size. */
export const PullProgress = z.strictObject({
  bytesDone: z.number().int().nonnegative().describe('Bytes of new layers downloaded so far'),
  bytesTotal: z.number().int().nonnegative().describe("Bytes of every new layer, once the engine has reported each one's size").optional(),
});
export type PullProgress = z.infer<typeof PullProgress>;

/** Progress the worker reports on the job while a run is live. */
export const RunProgress = z.object({
  phase: z.enum(RUN_PHASES),
  startedAt: Timestamp.optional(),
  containerId: z.string().optional(),
  /** While `phase` is `pulling` and the engine reports bytes. */
  pull: PullProgress.optional(),
});
export type RunProgress = z.infer<typeof RunProgress>;

export const AttemptError = z.strictObject({
  attempt: z.number().int().positive(),
  at: Timestamp,
  message: z.string(),
  /** The host the try ran on (absent on tries from before hosts were recorded). */
  host: z.string().max(128).optional(),
});
export type AttemptError = z.infer<typeof AttemptError>;

/** The record of a finished run on the shared volume: written once, by a worker, atomically. */
export const RunRecord = z.strictObject({
  version: z.literal(1),
  id: RunId,
  name: ModelName,
  image: ImageReference,
  benchmark: BenchmarkName.optional(),
  submittedBy: Submitter.describe('Who submitted the run (absent on runs from before users)').optional(),
  rerunOf: RunId.describe('A re-run: the id of the run it repeats (same name, benchmark, limits and pinned image)').optional(),
  requestedBy: z.string().max(128).describe('A re-run: the operator or admin who asked for it (submittedBy stays the original submitter)').optional(),
  status: z.enum(FINAL_STATUSES),
  reason: z.enum(FAILURE_REASONS).describe('Why the run did not succeed (absent when it did)').optional(),
  error: z.string().describe("What went wrong, in words for the model's author").optional(),
  exitCode: z.number().int().nullable().describe("The model's exit code; null when it never exited on its own").optional(),
  score: z.number().describe('The score the model wrote (higher is better)').optional(),
  metrics: z.record(z.string(), z.number()).describe('Other numbers the model wrote beside its score').optional(),
  limits: AppliedLimits.describe('The limits the run got (the request, within the ceilings, or the defaults)'),
  createdAt: Timestamp.describe('When it was submitted'),
  startedAt: Timestamp.describe('When its container started').optional(),
  finishedAt: Timestamp.describe('When it ended'),
  durationMs: z.number().int().nonnegative().describe("How long the model ran (kept for older clients: the API's views name it ranMs)").optional(),
  attempts: z.number().int().nonnegative().describe('Tries so far (more than one after an infrastructure fault)'),
  host: z.string().max(128).describe('The host that ran the last try (each failed try names its own in attemptErrors)').optional(),
  imageDigest: z.string().max(512).describe('The image the run really ran: what `image` resolved to at its first pull (repo@sha256:…); every later try ran this').optional(),
  attemptErrors: z.array(AttemptError).describe('The error of each failed try').optional(),
  logBytes: z.number().int().nonnegative().optional(),
  /** For the operator only, never served: why the benchmark's evaluator failed (its log is beside the run's). */
  evaluatorError: z.string().optional(),
  benchmarkPhase: BenchmarkName.describe('A benchmark run: the phase of the benchmark it was submitted in').optional(),
  privateScore: z.number().describe("A benchmark run's score on the private part of the reference (only for callers who may see the private board)").optional(),
  privateMetrics: z.record(z.string(), z.number()).describe('Its metrics on the private part (only for callers who may see the private board)').optional(),
  evaluatorImage: z
    .string()
    .max(512)
    .describe("A benchmark run: the evaluator image that scored it (repo@sha256:… when the engine has the image's registry digest, else its image id sha256:…)")
    .optional(),
  hasDetails: z.boolean().describe('A benchmark run: the evaluator wrote detailed results (GET /v1/runs/{id}/details, for its owner)').optional(),
  detailsError: z.string().max(500).describe("A benchmark run: why the evaluator's detailed results were left out (the run is scored all the same)").optional(),
  predictionsBytes: z
    .number()
    .int()
    .nonnegative()
    .describe("A benchmark run: the size of its kept predictions, the model's /output as a tar (GET /v1/runs/{id}/predictions, for its owner)")
    .optional(),
  scoreHistory: z
    .array(ScoreHistoryEntry)
    .describe('A re-scored benchmark run: each score it was given, oldest first (the first the original scoring); score, metrics and evaluatorImage are the latest')
    .optional(),
});
export type RunRecord = z.infer<typeof RunRecord>;

/**
 * A run as the API shows it, live or finished: its record without the storage fields, with
 * the live statuses and the phase; a live run has not finished and may not have started.
 */
export const RunView = RunRecord.omit({ version: true, logBytes: true, evaluatorError: true }).extend({
  status: z.enum(RUN_STATUSES).describe('queued → running → succeeded | failed | cancelled'),
  phase: z.enum(RUN_PHASES).describe('Where a running run is').optional(),
  pull: PullProgress.describe('While the image is pulled: bytes done, and the total once the engine has reported every layer').optional(),
  finishedAt: RunRecord.shape.finishedAt.optional(),
  attempts: RunRecord.shape.attempts.optional(),
  /** Phase `recording`: why the finished run's record is not on the volume yet. */
  recordingError: z.string().optional(),
  /** GET /v1/runs/{id}: what the caller may do to this run, so pages leave out what they may not (the API still decides). */
  may: z
    .strictObject({
      cancel: z.boolean(),
      readLogs: z.boolean(),
      rerun: z.boolean().describe('Operators and admins: POST /v1/runs/{id}/rerun').optional(),
      select: z.boolean().describe('A `selected`-rule benchmark run: POST/DELETE /v1/runs/{id}/selection').optional(),
      rescore: z.boolean().describe('A benchmark run, operators and admins: POST /v1/runs/{id}/rescore').optional(),
    })
    .optional(),
  ranMs: z.number().int().nonnegative().describe("How long the model ran: its container's start to its exit, as the engine stamped them (a model that exits within milliseconds shows 0)").optional(),
  turnaroundMs: z.number().int().nonnegative().describe('From submission to result: createdAt to finishedAt, the wait in the queue, the pull and the recording included').optional(),
  maxAttempts: z.number().int().positive().describe('How many tries a live run may have (RUN_ATTEMPTS): `attempts` of `maxAttempts`').optional(),
  nextAttemptAt: Timestamp.describe('A queued run whose last try failed: about when the next try starts (after the backoff)').optional(),
  requires: z.array(Requirement).describe('What a host must have to take the run (`key=value`: its labels, `runtime=<name>` for each runtime it needs)').optional(),
  waitingFor: z.string().describe('A queued run no live host can take: the host it waits for, and the hosts there are').optional(),
  selected: z.boolean().describe('A run of a benchmark whose board rule is `selected`: its submitter selected it for the private board').optional(),
});
export type RunView = z.infer<typeof RunView>;

/** A finished run as the API (and a webhook) shows it: its record, as written. */
export function viewOfRecord(r: RunRecord): RunView {
  const { version: _version, logBytes: _logBytes, evaluatorError: _evaluatorError, ...view } = r;
  return { ...view, ...durationsOf(r) };
}

/**
 * A finished run's two times, each named so neither reads as a bug: the model's own (0 ms for a
 * model that exits at once) and the caller's wait, from submission to result.
 */
export function durationsOf(r: Pick<RunRecord, 'createdAt' | 'finishedAt' | 'durationMs'>): Pick<RunView, 'ranMs' | 'turnaroundMs'> {
  const turnaroundMs = Math.max(0, Date.parse(r.finishedAt) - Date.parse(r.createdAt));
  return { ...(r.durationMs !== undefined && { ranMs: r.durationMs }), ...(Number.isFinite(turnaroundMs) && { turnaroundMs }) };
}
