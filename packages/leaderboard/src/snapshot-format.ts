import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FAILURE_REASONS, FINAL_STATUSES, RUN_ID_PATTERN, RunSummary } from '@modelrun/contracts';
import type { IndexedRun } from './run-index';

/**
 * The index snapshot's format (version 2): newline-delimited JSON, one model a line, so a
 * million runs load with one JSON.parse per model instead of one per record file.
 *
 *   {"format":"modelrun-index-snapshot","version":1,"writtenAt":"…"}            the header
 *   ["<model>", <folder mtimeMs|null>, <listed at ms|null>, [<run>, …]]         one per model
 *   {"models":M,"runs":N,"images":[…],"benchmarks":[…],"statuses":[…],"reasons":[…],"sha256":"…"}
 *
 * A run is a tuple: [id, image#, status#, reason#|null, benchmark#|null, exitCode|null|false
 * (false: absent), score|null, createdAt, startedAt|null, finishedAt|null, durationMs|null,
 * metrics|null, then only where the run has either: [[user, team|null]|null, imageDigest|null]],
 * then only where the run has them: its private metrics (issue 19; the 13th member is then
 * [null, null] if the run has no provenance), then only where the run has them (version 2): its
 * [evaluatorImage|null, scoredAt|null] (the 14th member is then null if it has no private metrics),
 * the # fields indexes into the trailer's tables (which repeat across runs). The trailer is
 * last because the tables grow while the lines are written; its sha256 covers every byte
 * before it, so a truncated or altered file is refused, never half loaded.
 */
export const SNAPSHOT_FORMAT = 'modelrun-index-snapshot';
// Version 2 added the evaluator image: a version-1 file lacks it, so it is read again from the records.
export const SNAPSHOT_VERSION = 2;

/** A model folder's state when the index last listed it (see RecordScanner). */
export interface FolderState {
  mtimeMs: number;
  at: number;
}

export interface SnapshotModel {
  name: string;
  /** Absent: the folder was never listed with a stat, so verification lists it again. */
  folder?: FolderState;
  runs: IndexedRun[];
}

export class SnapshotError extends Error {}

const Header = z.strictObject({ format: z.literal(SNAPSHOT_FORMAT), version: z.number().int(), writtenAt: z.iso.datetime() });
const Trailer = z.strictObject({
  models: z.number().int().nonnegative(),
  runs: z.number().int().nonnegative(),
  images: z.array(RunSummary.shape.image),
  benchmarks: z.array(RunSummary.shape.benchmark.unwrap()),
  statuses: z.array(z.enum(FINAL_STATUSES)),
  reasons: z.array(z.enum(FAILURE_REASONS)),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
type Trailer = z.infer<typeof Trailer>;
type Tables = Pick<Trailer, 'images' | 'benchmarks' | 'statuses' | 'reasons'>;

/** The snapshot's lines, each ending in a newline; the trailer is built as they go. */
export function* encodeSnapshot(models: Iterable<SnapshotModel>, writtenAt = new Date()): Generator<string> {
  const hash = createHash('sha256');
  const tables = { images: new Table(), benchmarks: new Table(), statuses: new Table(), reasons: new Table() };
  const emit = (line: string): string => {
    hash.update(line);
    return line;
  };
  yield emit(`${JSON.stringify({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, writtenAt: writtenAt.toISOString() })}\n`);
  let modelCount = 0;
  let runCount = 0;
  for (const m of models) {
    const runs = m.runs.map((r) => [
      r.id,
      tables.images.of(r.image),
      tables.statuses.of(r.status),
      r.reason === undefined ? null : tables.reasons.of(r.reason),
      r.benchmark === undefined ? null : tables.benchmarks.of(r.benchmark),
      r.exitCode === undefined ? false : r.exitCode,
      r.score ?? null,
      r.createdAt,
      r.startedAt ?? null,
      r.finishedAt ?? null,
      r.durationMs ?? null,
      r.metrics ?? null,
      // Who submitted it and what it ran (issue 18), only where known: older runs keep their 12-tuple.
      ...(r.submittedBy || r.imageDigest || r.privateMetrics || scored(r) ? [[r.submittedBy ? [r.submittedBy.user, r.submittedBy.team ?? null] : null, r.imageDigest ?? null]] : []),
      ...(r.privateMetrics || scored(r) ? [r.privateMetrics ?? null] : []),
      ...(scored(r) ? [[r.evaluatorImage ?? null, r.scoredAt ?? null]] : []),
    ]);
    modelCount++;
    runCount += runs.length;
    yield emit(`${JSON.stringify([m.name, m.folder?.mtimeMs ?? null, m.folder?.at ?? null, runs])}\n`);
  }
  const trailer: Trailer = {
    models: modelCount,
    runs: runCount,
    images: tables.images.values,
    benchmarks: tables.benchmarks.values,
    statuses: tables.statuses.values as Trailer['statuses'],
    reasons: tables.reasons.values as Trailer['reasons'],
    sha256: hash.digest('hex'),
  };
  yield `${JSON.stringify(trailer)}\n`;
}

/**
 * Parses and checks a whole snapshot file. Every value is checked against the run contract's
 * own field schemas (the tables' values once each), as strictly as a record file is.
 * @throws SnapshotError for anything but a complete, intact snapshot of this version.
 */
export function* decodeSnapshot(file: Buffer): Generator<SnapshotModel> {
  if (file.length === 0 || file[file.length - 1] !== 0x0a) throw new SnapshotError('truncated: no final newline');
  const trailerStart = file.lastIndexOf(0x0a, file.length - 2) + 1;
  const firstEnd = file.indexOf(0x0a);
  if (trailerStart <= firstEnd) throw new SnapshotError('truncated: no trailer');
  const header = Header.safeParse(parseJson(file.toString('utf8', 0, firstEnd)));
  if (!header.success) throw new SnapshotError('not an index snapshot');
  if (header.data.version !== SNAPSHOT_VERSION) throw new SnapshotError(`version ${header.data.version}, expected ${SNAPSHOT_VERSION}`);
  const parsed = Trailer.safeParse(parseJson(file.toString('utf8', trailerStart, file.length - 1)));
  if (!parsed.success) throw new SnapshotError('truncated or corrupt: bad trailer');
  const trailer = parsed.data;
  if (createHash('sha256').update(file.subarray(0, trailerStart)).digest('hex') !== trailer.sha256) throw new SnapshotError('corrupt: checksum mismatch');
  let models = 0;
  let runs = 0;
  for (let at = firstEnd + 1; at < trailerStart;) {
    const end = file.indexOf(0x0a, at);
    const model = decodeModel(parseJson(file.toString('utf8', at, end)), trailer);
    models++;
    runs += model.runs.length;
    yield model;
    at = end + 1;
  }
  if (models !== trailer.models || runs !== trailer.runs) throw new SnapshotError(`counts differ from the trailer's (${models} models, ${runs} runs)`);
}

// The run contract's own schemas; the plainest fields (id, numbers) are checked by hand to the
// same rules, since a million runs' worth of schema calls is seconds of start-up.
const Name = RunSummary.shape.name;
/** The contract's timestamp pattern (z.iso.datetime's; a test checks they are the same). */
export const TIMESTAMP_PATTERN = z.regexes.datetime({});
const Metrics = RunSummary.shape.metrics.unwrap();
const Millis = z.number().nullable();

function decodeModel(line: unknown, t: Tables): SnapshotModel {
  if (!Array.isArray(line) || line.length !== 4 || !Array.isArray(line[3])) throw new SnapshotError('corrupt: a model line is not [name, mtime, at, runs]');
  const [name, mtimeMs, at, tuples] = line as [unknown, unknown, unknown, unknown[]];
  const model: SnapshotModel = { name: check(Name, name), runs: [] };
  if (check(Millis, mtimeMs) !== null && check(Millis, at) !== null) model.folder = { mtimeMs: mtimeMs as number, at: at as number };
  for (const tuple of tuples) model.runs.push(decodeRun(model.name, tuple, t));
  return model;
}

function decodeRun(name: string, tuple: unknown, t: Tables): IndexedRun {
  if (!Array.isArray(tuple) || tuple.length < 12 || tuple.length > 15) throw new SnapshotError(`corrupt: a run of ${name} is not a 12- to 15-tuple`);
  const [id, image, status, reason, benchmark, exitCode, score, createdAt, startedAt, finishedAt, durationMs, metrics, provenance, privateMetrics, scoring] = tuple as unknown[];
  if (typeof id !== 'string' || !RUN_ID_PATTERN.test(id)) throw new SnapshotError(`corrupt: not a run id (${JSON.stringify(id)})`);
  const run: IndexedRun = { id, name, image: from(t.images, image), status: from(t.statuses, status), createdAt: time(createdAt) };
  if (benchmark !== null) run.benchmark = from(t.benchmarks, benchmark);
  if (reason !== null) run.reason = from(t.reasons, reason);
  if (exitCode !== false) run.exitCode = exitCode === null ? null : int(exitCode, -Infinity);
  if (score !== null) run.score = num(score);
  if (metrics !== null) run.metrics = check(Metrics, metrics);
  if (startedAt !== null) run.startedAt = time(startedAt);
  if (finishedAt !== null) run.finishedAt = time(finishedAt);
  if (durationMs !== null) run.durationMs = int(durationMs, 0);
  if (provenance !== undefined) decodeProvenance(run, provenance);
  if (privateMetrics !== undefined && privateMetrics !== null) run.privateMetrics = check(Metrics, privateMetrics);
  if (scoring !== undefined) decodeScoring(run, scoring);
  return run;
}

/** Whether the run has the 15th member: the evaluator that scored it and when. */
function scored(r: IndexedRun): boolean {
  return r.evaluatorImage !== undefined || r.scoredAt !== undefined;
}

/** The 15th member: `[evaluatorImage|null, scoredAt|null]`. */
function decodeScoring(run: RunSummary, value: unknown): void {
  if (!Array.isArray(value) || value.length !== 2) throw new SnapshotError('corrupt: scoring is not [evaluatorImage, scoredAt]');
  const [image, at] = value as unknown[];
  if (image !== null) run.evaluatorImage = text(image, 512);
  if (at !== null) run.scoredAt = time(at);
}

/** The 13th member: `[[user, team|null]|null, imageDigest|null]`, checked by hand to the contract's rules. */
function decodeProvenance(run: RunSummary, value: unknown): void {
  if (!Array.isArray(value) || value.length !== 2) throw new SnapshotError('corrupt: provenance is not [submitter, digest]');
  const [submitter, digest] = value as unknown[];
  if (submitter !== null) {
    if (!Array.isArray(submitter) || submitter.length !== 2) throw new SnapshotError('corrupt: submitter is not [user, team]');
    const [user, team] = submitter as unknown[];
    run.submittedBy = { user: text(user, 128), ...(team !== null && { team: text(team, 128) }) };
  }
  if (digest !== null) run.imageDigest = text(digest, 512);
}

function text(value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length > max) throw new SnapshotError(`corrupt: not a string of at most ${max} characters (${JSON.stringify(value)?.slice(0, 80)})`);
  return value;
}

function time(value: unknown): string {
  if (typeof value !== 'string' || !TIMESTAMP_PATTERN.test(value)) throw new SnapshotError(`corrupt: not a timestamp (${JSON.stringify(value)?.slice(0, 80)})`);
  return value;
}

function num(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new SnapshotError(`corrupt: not a number (${JSON.stringify(value)})`);
  return value;
}

function int(value: unknown, min: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) throw new SnapshotError(`corrupt: not an integer >= ${min} (${JSON.stringify(value)})`);
  return value as number;
}

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new SnapshotError(`corrupt: ${r.error.issues[0]?.message ?? 'invalid value'} (${JSON.stringify(value)?.slice(0, 80)})`);
  return r.data;
}

function from<T>(table: readonly T[], i: unknown): T {
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= table.length) throw new SnapshotError(`corrupt: table index ${JSON.stringify(i)} out of range`);
  return table[i]!;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SnapshotError(`corrupt: ${(err as Error).message}`);
  }
}

/** Distinct values in first-seen order, each with its index. */
class Table {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  of(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}
