import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import { HttpError } from '../errors';
import { QueueUnavailable } from '../services/errors';
import { toHttpError } from './error-mapping';

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new HttpError('not_found', `no route for ${req.method} ${req.path}`));
}

/** The one place errors become responses: `{"error": {"code", "message"}}`, never a stack or a path. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const httpError = toHttpError(err);
    const reqLog = req.log ?? log;
    if (err instanceof QueueUnavailable) reqLog.warn('redis unavailable', { detail: err.detail, path: req.path });
    else if (httpError.status >= 500) reqLog.error('request failed', { error: (err as Error)?.message, stack: (err as Error)?.stack, path: req.path });
    if (res.headersSent) return void res.end();
    res.status(httpError.status).set(httpError.headers);
    const body: ErrorBody = { error: { code: httpError.code, message: httpError.message, ...httpError.extra } };
    res.json(body);
  };
}
