import { ERROR_CODES, type ErrorCode } from '@modelrun/contracts';

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
    readonly extra: { retryAfterSeconds?: number; nextAllowedAt?: string } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = ERROR_CODES[code];
  }
}

export const badRequest = (message: string): HttpError => new HttpError('bad_request', message);
export const notFound = (message: string): HttpError => new HttpError('not_found', message);
