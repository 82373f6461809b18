import { ERROR_CODES, type ErrorCode, type ErrorDetail } from '@modelrun/contracts';

/**
 * An error of the HTTP layer (routes, middleware): its code decides the status, its message is
 * for the client. Services throw the domain errors of ./services/errors.ts instead.
 */
export class HttpError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra fields of the error body (ErrorBody), e.g. when a quota allows the next submission. */
    readonly extra: { retryAfterSeconds?: number; nextAllowedAt?: string; details?: ErrorDetail[]; selectLimit?: number; selectedRuns?: string[]; nextOpensAt?: string } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = ERROR_CODES[code];
  }
}

/** A 400; `details` lists each problem with its field, when there is more than one place to point at. */
export const badRequest = (message: string, details?: ErrorDetail[]): HttpError => new HttpError('bad_request', message, {}, details ? { details } : {});
export const notFound = (message: string): HttpError => new HttpError('not_found', message);
