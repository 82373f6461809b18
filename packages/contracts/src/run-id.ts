import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Run ids are UUIDv7: time-ordered, so ids sort by submission time and file listings read in order.
 */
export function newRunId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  let ms = BigInt(now);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(ms & 0xffn);
    ms >>= 8n;
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const RUN_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const RunId = z.string().regex(RUN_ID_PATTERN, 'is not a run id');

export function isRunId(value: string): boolean {
  return RUN_ID_PATTERN.test(value);
}
