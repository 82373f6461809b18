import { z } from 'zod';

/** The `code` of every JSON error the API returns, one per HTTP status it uses. */
export const ERROR_CODES = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  internal: 500,
  unavailable: 503,
  /** A benchmark with phases, between two of them or before the first. */
  phase_closed: 409,
  /** A benchmark whose last phase has closed. */
  benchmark_closed: 409,
  /** The private board before its reveal, to a caller who is not an operator or admin (issue 19). */
  private_board_hidden: 403,
  /** A model has as many runs selected as the benchmark's selectLimit (issue 19). */
  selection_limit: 409,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

const CODES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** One problem of a refused request: where (`limits.memoryMb`, `name`; empty for the whole body) and what. */
export const ErrorDetail = z.strictObject({
  path: z.string(),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** Every error response's body. */
export const ErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(CODES),
    message: z.string(),
    /** With 429: seconds until the next request may succeed (also in Retry-After). */
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    /** With quota_exceeded: when the next submission is allowed. */
    nextAllowedAt: z.iso.datetime().optional(),
    /** With bad_request: every problem of the request, each with its field, so a form can show them all at once. */
    details: z.array(ErrorDetail).optional(),
    /** With phase_closed: when the benchmark's next phase opens. */
    nextOpensAt: z.iso.datetime({ offset: true }).optional(),
    /** With selection_limit: how many runs a model may have selected, and those it has. */
    selectLimit: z.number().int().positive().optional(),
    selectedRuns: z.array(z.string()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
