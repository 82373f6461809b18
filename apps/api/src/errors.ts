import { ERROR_CODES, type ErrorCode } from '@modelrun/contracts';

/** An error with a place in the API: its code decides the status, its message is for the client. */
export class HttpError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = ERROR_CODES[code];
  }
}

export const badRequest = (message: string): HttpError => new HttpError('bad_request', message);
export const notFound = (message: string): HttpError => new HttpError('not_found', message);
export const conflict = (message: string): HttpError => new HttpError('conflict', message);
export const forbidden = (message: string): HttpError => new HttpError('forbidden', message);

/** Redis (the queue) could not be reached: the client should retry later. */
export class UnavailableError extends HttpError {
  constructor(readonly detail: string) {
    super('unavailable', 'the run queue is unavailable right now; retry shortly', { 'Retry-After': '5' });
  }
}

/** Runs a Redis-backed call; any failure that is not already an HttpError becomes a 503. */
export async function viaRedis<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new UnavailableError((err as Error)?.message ?? String(err));
  }
}
