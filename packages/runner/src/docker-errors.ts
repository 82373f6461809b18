import { EngineLostError, InfrastructureError } from './errors';

export const NOT_MODIFIED = 304;
export const NOT_FOUND = 404;
export const CONFLICT = 409;

interface DockerishError {
  statusCode?: number;
  code?: string;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

export function statusOf(err: unknown): number | undefined {
  return (err as DockerishError | null)?.statusCode;
}

/** The daemon's own sentence, without dockerode's "(HTTP code 404) no such container -" prefix. */
export function daemonMessage(err: unknown): string {
  const e = err as DockerishError | null;
  const fromJson = e?.json?.message;
  if (fromJson) return fromJson.trim();
  const msg = e?.message ?? String(err);
  return msg.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

/** Wraps any Engine API failure as a retryable infrastructure fault, saying what was being done. */
export function infrastructure(doing: string, err: unknown): InfrastructureError {
  const e = err as DockerishError | null;
  const detail = e?.code && !e.statusCode ? `${e.code}: ${e.message ?? ''}` : daemonMessage(err);
  return new InfrastructureError(`docker: ${doing}: ${detail}`, { cause: err });
}

/** An engine timestamp as ISO 8601; undefined for Docker's "0001-01-01T00:00:00Z" (never happened). */
export function engineTime(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-')) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Errors that mean the engine went away under a request (a restart, a shutdown, a crash). */
const ENGINE_GONE = new Set(['ECONNRESET', 'ECONNREFUSED', 'ENOENT', 'EPIPE', 'ECONNABORTED']);

/** True when the connection to the engine broke or could not be made, rather than the engine answering. */
export function isEngineGone(err: unknown): boolean {
  const e = err as DockerishError | null;
  if (e?.statusCode) return false;
  return (e?.code !== undefined && ENGINE_GONE.has(e.code)) || /socket hang up/i.test(e?.message ?? '');
}

/**
 * True when a run's fault was that its engine could not be reached at all (refused, reset, the
 * socket gone), not that it answered with an error: the host, not the run, is then at fault.
 * Only Engine API failures are wrapped as InfrastructureError with the socket error as the
 * cause, so a file system's ENOENT never reads as a lost engine.
 */
export function engineUnreachable(err: unknown): boolean {
  return err instanceof EngineLostError || (err instanceof InfrastructureError && isEngineGone(err.cause));
}
