import { z } from 'zod';
import { escapeControls, quoteUntrusted, untrustedName } from './untrusted-text';

/** The score file a model writes may be at most this large. */
export const SCORE_FILE_MAX_BYTES = 64 * 1024;
/** More metrics than this is not a score file, it is a data dump. */
export const METRICS_MAX = 256;

export const MetricName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:/-]+$/, 'metric names are letters, digits and _ . : / -');

const FiniteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

export const ScoreFile = z.strictObject({
  score: FiniteNumber,
  metrics: z
    .record(MetricName, FiniteNumber)
    .refine((m) => Object.keys(m).length <= METRICS_MAX, `at most ${METRICS_MAX} metrics`)
    .optional(),
  /** A benchmark evaluator's score on the private part of the reference (issue 19); the top level is the public part. */
  private: z
    .strictObject({
      score: FiniteNumber,
      metrics: z.record(MetricName, FiniteNumber).refine((m) => Object.keys(m).length <= METRICS_MAX, `at most ${METRICS_MAX} metrics`),
    })
    .optional(),
});
export type ScoreFile = z.infer<typeof ScoreFile>;

export type ScoreParse = { ok: true; value: ScoreFile } | { ok: false; message: string };

/**
 * Parses an untrusted score file. `score.json` holds `{"score": n, "metrics": {...}}`;
 * a plain `score` file (images written for the original design) holds one number.
 * Every failure says what was wrong, for the model's author.
 */
export function parseScoreFile(file: 'score.json' | 'score', bytes: Buffer): ScoreParse {
  if (bytes.length > SCORE_FILE_MAX_BYTES) {
    return { ok: false, message: `${file} is ${bytes.length} bytes; the limit is ${SCORE_FILE_MAX_BYTES}` };
  }
  const text = bytes.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') !== bytes.length || text.includes('\uFFFD')) {
    return { ok: false, message: `${file} is not valid UTF-8 text` };
  }
  return file === 'score' ? parsePlainScore(text) : parseScoreJson(text);
}

function parsePlainScore(text: string): ScoreParse {
  const trimmed = text.trim();
  // Number('') is 0 and Number('0x10') is 16: accept only a plain decimal literal.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) {
    return { ok: false, message: `score must hold one decimal number, found ${preview(trimmed)}` };
  }
  const score = Number(trimmed);
  if (!Number.isFinite(score)) return { ok: false, message: `score ${preview(trimmed)} is not a finite number` };
  return { ok: true, value: { score } };
}

function parseScoreJson(text: string): ScoreParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the text around the error, which the model wrote.
    return { ok: false, message: `score.json is not valid JSON (${escapeControls((err as Error).message)})` };
  }
  const parsed = ScoreFile.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? issue.path.map(pathPart).join('.') : 'the document';
  if (issue.code === 'invalid_key') {
    return { ok: false, message: `score.json: ${where}: metric names are 1-128 letters, digits and _ . : / -` };
  }
  const actual = valueAt(raw, issue.path);
  const detail =
    typeof actual === 'number' && !Number.isFinite(actual)
      ? `must be a finite number, got ${actual}`
      : issue.code === 'invalid_type'
        ? `expected ${issue.expected}, got ${describe(actual)}`
        : issue.message;
  return { ok: false, message: `score.json: ${where}: ${detail}` };
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${quoteUntrusted(v, 40)}`;
  return typeof v;
}

/** A bad value, quoted: it is the model's text. */
function preview(s: string): string {
  return s ? quoteUntrusted(s, 40) : '(empty)';
}

/** A key on the path to a bad value: a metric name the model chose is quoted unless it is a plain name. */
function pathPart(key: PropertyKey): string {
  return untrustedName(String(key), 40);
}
