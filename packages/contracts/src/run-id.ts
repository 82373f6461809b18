import { V7Generator } from 'uuidv7';
import { z } from 'zod';

/**
 * Run ids are UUIDv7 (RFC 9562): time-ordered, so ids, files and listings sort by submission
 * time, and "the latest run" is the greatest id. Ids made in the same millisecond carry a
 * counter (RFC 9562's method 1, as `uuidv7` implements it) so they still sort in the order they
 * were made; the clock going back a little does not reorder them either.
 */
const generator = new V7Generator();

/** A new run id, greater than every id this process made before. */
export function newRunId(): string {
  return generator.generate().toString();
}

/**
 * An id stamped with exactly `unixMs`, for fixtures and generated data; ids made this way in
 * one millisecond do not sort among themselves (use `newRunId` for real runs).
 */
export function runIdAt(unixMs: number): string {
  return new V7Generator().generateOrResetWithTs(unixMs).toString();
}

export const RUN_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const RunId = z.string().regex(RUN_ID_PATTERN, 'is not a run id');

export function isRunId(value: string): boolean {
  return RUN_ID_PATTERN.test(value);
}
