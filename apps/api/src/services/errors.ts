import type { RunStatus } from '@modelrun/contracts';

// What the services say went wrong, in the domain's words. They know nothing of HTTP: the one
// error middleware (../middleware/errors.ts) maps each class to a status and an error code.

/** Something a service refuses or cannot do; `message` is written for the client. */
export abstract class DomainError extends Error {
  /** Seconds after which trying again may succeed, when that is the advice. */
  readonly retryAfterSeconds?: number;
}

/** The request breaks a rule only the service can check (a limit over a ceiling). */
export class InvalidRequest extends DomainError {
  override readonly name = 'InvalidRequest';

  constructor(
    message: string,
    /** Each problem with its field (`limits.memoryMb`), when there is one to point at. */
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** A thing to make exists already, or cannot change as asked while others depend on it. */
export class Conflict extends DomainError {
  override readonly name = 'Conflict';
}

/** A user, team or token that does not exist (or that the caller may not see). */
export class NotFound extends DomainError {
  override readonly name = 'NotFound';
}

/** The caller may not do this; the message says which role or ownership is missing. */
export class Forbidden extends DomainError {
  override readonly name = 'Forbidden';
}

/** The image is outside this deployment's ALLOWED_IMAGES. */
export class ImageNotAllowed extends DomainError {
  override readonly name = 'ImageNotAllowed';

  constructor(
    readonly image: string,
    allowed: readonly string[],
  ) {
    super(`image ${image} is not allowed here; allowed: ${allowed.join(', ')}`);
  }
}

export class RunNotFound extends DomainError {
  override readonly name = 'RunNotFound';

  constructor(readonly runId: string) {
    super(`no run with id ${runId}`);
  }
}

/** Only a queued or running run can be cancelled. */
export class RunAlreadyEnded extends DomainError {
  override readonly name = 'RunAlreadyEnded';

  constructor(
    readonly runId: string,
    readonly status: RunStatus,
  ) {
    super(`run ${runId} has already ended (${status}); only queued or running runs can be cancelled`);
  }
}

/** An Idempotency-Key reused with another request, or still held by a request in progress. */
export class IdempotencyConflict extends DomainError {
  override readonly name = 'IdempotencyConflict';

  constructor(readonly why: 'different_request' | 'in_progress') {
    super(
      why === 'different_request'
        ? 'this Idempotency-Key was already used with a different request; use a new key for a new run'
        : 'a request with this Idempotency-Key is still in progress; retry shortly',
    );
  }
}

/** Redis (the queue) could not be reached, or could not promise a write survives a failover. */
export class QueueUnavailable extends DomainError {
  override readonly name = 'QueueUnavailable';
  override readonly retryAfterSeconds = 5;

  constructor(
    /** What went wrong underneath, for the log (never for the client). */
    readonly detail: string,
    message = 'the run queue is unavailable right now; retry shortly',
  ) {
    super(message);
  }
}

/** Too many clients follow live logs at once in this process. */
export class TooManyFollowers extends DomainError {
  override readonly name = 'TooManyFollowers';
  override readonly retryAfterSeconds = 5;

  constructor() {
    super('too many clients are following logs right now; retry shortly');
  }
}

/** A benchmark's quota allows the caller no more submissions for now. */
export class QuotaExceeded extends DomainError {
  override readonly name = 'QuotaExceeded';

  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
    /** When the next submission is allowed, where that is known (the daily quota). */
    readonly nextAllowedAt?: string,
  ) {
    super(message);
  }
}

/** Runs a Redis-backed call; any failure that is not already a DomainError becomes QueueUnavailable. */
export async function viaRedis<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new QueueUnavailable((err as Error)?.message ?? String(err));
  }
}
