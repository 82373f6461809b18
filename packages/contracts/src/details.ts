import { z } from 'zod';
import { escapeControls } from './untrusted-text';

/** The detailed-results file an evaluator may write: at most this large, else it is not read. */
export const DETAILS_FILE = 'details.json';
export const DETAILS_FILE_MAX_BYTES = 256 * 1024;
/** Bounds on its shape, so the run page and the CLI always have something they can show. */
export const DETAILS_LIMITS = { tables: 20, rows: 1000, columns: 20, cellChars: 200, titleChars: 200, notes: 20, noteChars: 1000 } as const;

const Cell = z.union(
  [z.string().max(DETAILS_LIMITS.cellChars, `at most ${DETAILS_LIMITS.cellChars} characters`), z.number().refine(Number.isFinite, 'must be a finite number'), z.null()],
  'must be a string, a number or null',
);

export const DetailsTable = z
  .strictObject({
    title: z.string().min(1, 'must not be empty').max(DETAILS_LIMITS.titleChars, `at most ${DETAILS_LIMITS.titleChars} characters`),
    columns: z
      .array(z.string().max(DETAILS_LIMITS.cellChars, `at most ${DETAILS_LIMITS.cellChars} characters`))
      .min(1, 'must name at least one column')
      .max(DETAILS_LIMITS.columns, `at most ${DETAILS_LIMITS.columns} columns`),
    rows: z.array(z.array(Cell)).max(DETAILS_LIMITS.rows, `at most ${DETAILS_LIMITS.rows} rows`),
  })
  .superRefine((t, ctx) => {
    // A row longer or shorter than the header would shift every cell under the wrong column.
    const i = t.rows.findIndex((r) => r.length !== t.columns.length);
    if (i >= 0) ctx.addIssue({ code: 'custom', path: ['rows', i], message: `has ${t.rows[i]!.length} cells; the table has ${t.columns.length} columns` });
  });
export type DetailsTable = z.infer<typeof DetailsTable>;

/** `$OUTPUT_DIR/details.json`: what the submitter may learn from, from the public part of the reference only. */
export const DetailsFile = z.strictObject({
  tables: z.array(DetailsTable).max(DETAILS_LIMITS.tables, `at most ${DETAILS_LIMITS.tables} tables`),
  notes: z
    .array(z.string().max(DETAILS_LIMITS.noteChars, `at most ${DETAILS_LIMITS.noteChars} characters`))
    .max(DETAILS_LIMITS.notes, `at most ${DETAILS_LIMITS.notes} notes`)
    .optional(),
});
export type DetailsFile = z.infer<typeof DetailsFile>;

export type DetailsParse = { ok: true; value: DetailsFile } | { ok: false; message: string };

/**
 * Parses the evaluator's details file. A failure says where and what, never quoting the file:
 * its text may hold the reference data, and the message is shown to the submitter (detailsError).
 */
export function parseDetailsFile(bytes: Buffer): DetailsParse {
  if (bytes.length > DETAILS_FILE_MAX_BYTES) return { ok: false, message: detailsTooLargeMessage(bytes.length) };
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) return { ok: false, message: `${DETAILS_FILE} is not valid UTF-8 text` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: `${DETAILS_FILE} is not valid JSON` };
  }
  const parsed = DetailsFile.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length
    ? issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${escapeControls(String(p)).slice(0, 40)}`))
        .join('')
        .replace(/^\./, '')
    : 'the document';
  const what = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.code === 'unrecognized_keys' ? 'has a field the format does not have' : issue.message;
  return { ok: false, message: `${DETAILS_FILE}: ${where}: ${what}` };
}

/** The message for a details file over its cap (the worker leaves such a file unread). */
export function detailsTooLargeMessage(bytes: number): string {
  return `${DETAILS_FILE} is ${Math.ceil(bytes / 1024)} KiB; the limit is ${DETAILS_FILE_MAX_BYTES / 1024} KiB`;
}
