import type { ErrorCode } from '@modelrun/contracts';
import { HttpError } from '../errors';
import {
  Conflict,
  DomainError,
  Forbidden,
  IdempotencyConflict,
  ImageNotAllowed,
  InvalidRequest,
  NotFound,
  QueueUnavailable,
  QuotaExceeded,
  RunAlreadyEnded,
  RunNotFound,
  TooManyFollowers,
} from '../services/errors';
import { PhaseClosed } from '../services/phase-admission';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Each domain error's place in HTTP. */
const DOMAIN_CODES: [abstract new (...args: never[]) => DomainError, ErrorCode][] = [
  [InvalidRequest, 'bad_request'],
  [ImageNotAllowed, 'forbidden'],
  [RunNotFound, 'not_found'],
  [NotFound, 'not_found'],
  [Conflict, 'conflict'],
  [Forbidden, 'forbidden'],
  [RunAlreadyEnded, 'conflict'],
  [IdempotencyConflict, 'conflict'],
  [TooManyFollowers, 'rate_limited'],
  [QuotaExceeded, 'quota_exceeded'],
  [QueueUnavailable, 'unavailable'],
];

/** What any thrown thing means to the client: an HttpError as is, a domain error by its class, the rest 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  // One class, two codes: between phases, or after the last.
  if (err instanceof PhaseClosed) return new HttpError(err.code, err.message, {}, err.nextOpensAt ? { nextOpensAt: err.nextOpensAt } : {});
  if (err instanceof DomainError) {
    const code = DOMAIN_CODES.find(([type]) => err instanceof type)?.[1];
    if (!code) return new HttpError('internal', 'internal error');
    const retry = err.retryAfterSeconds;
    const extra = {
      ...(retry !== undefined && { retryAfterSeconds: retry, ...(err instanceof QuotaExceeded && err.nextAllowedAt && { nextAllowedAt: err.nextAllowedAt }) }),
      ...(err instanceof InvalidRequest && err.details && { details: err.details }),
    };
    return new HttpError(code, err.message, retry !== undefined ? { 'Retry-After': String(retry) } : {}, extra);
  }
  const e = err as BodyParserError;
  if (e?.type === 'entity.too.large') return new HttpError('payload_too_large', `the body is larger than the limit of ${e.limit ?? '?'} bytes`);
  if (e?.type === 'entity.parse.failed') return new HttpError('bad_request', 'the body is not valid JSON');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new HttpError('bad_request', 'the body must be UTF-8 JSON');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new HttpError('bad_request', 'the request could not be read');
  return new HttpError('internal', 'internal error');
}
