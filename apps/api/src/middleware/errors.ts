import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import { HttpError, UnavailableError } from '../errors';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new HttpError('not_found', `no route for ${req.method} ${req.path}`));
}

/** The one place errors become responses: `{"error": {"code", "message"}}`, never a stack or a path. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const httpError = toHttpError(err);
    const reqLog = req.log ?? log;
    if (err instanceof UnavailableError) reqLog.warn('redis unavailable', { detail: err.detail, path: req.path });
    else if (httpError.status >= 500) reqLog.error('request failed', { error: (err as Error)?.message, stack: (err as Error)?.stack, path: req.path });
    if (res.headersSent) return void res.end();
    res.status(httpError.status).set(httpError.headers);
    const body: ErrorBody = { error: { code: httpError.code, message: httpError.message } };
    res.json(body);
  };
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as BodyParserError;
  if (e?.type === 'entity.too.large') return new HttpError('payload_too_large', `the body is larger than the limit of ${e.limit ?? '?'} bytes`);
  if (e?.type === 'entity.parse.failed') return new HttpError('bad_request', 'the body is not valid JSON');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new HttpError('bad_request', 'the body must be UTF-8 JSON');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new HttpError('bad_request', 'the request could not be read');
  return new HttpError('internal', 'internal error');
}
