import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ApiProcess, startApiProcess } from '../lib/api-process';
import { scanFloor } from './scan-floor';

/** Start-up on one volume, each way, every figure from the API process's own clock. */
export interface StartupTimes {
  /** The bare read-and-parse of every record, twice (alternating with the full-scan starts). */
  floorMs: number[];
  /** INDEX_SNAPSHOT=off: every record read. Process start → listening; the index load alone. */
  scanBootMs: number[];
  scanIndexMs: number[];
  /** INDEX_SNAPSHOT=on with a snapshot on the volume: process start → listening, and → verified. */
  snapshotBootMs: number[];
  snapshotIndexMs: number[];
  snapshotVerifiedMs: number[];
  /** Writing the snapshot after a full scan (in the background; the API serves meanwhile). */
  snapshotWriteMs: number;
  snapshotBytes: number;
  /** Where the snapshot-started APIs' index came from (must be "snapshot"). */
  snapshotSource: string[];
}

/**
 * Starts the API on the volume five times, one at a time so each start has the machine to
 * itself: a full scan with the snapshot off, then with it on and none on the volume (that one
 * writes it), then twice from the snapshot. The floor is taken before each full scan. The last
 * API started (from the snapshot, as a default deployment starts) is left running for the
 * latency loops and memory figures.
 */
export async function measureStartup(env: Record<string, string>, runs: number, timeoutMs: number): Promise<{ times: StartupTimes; api: ApiProcess }> {
  const start = (snapshot: 'on' | 'off'): Promise<ApiProcess> => startApiProcess({ ...env, INDEX_SNAPSHOT: snapshot, QUEUE_PREFIX: `bl${randomBytes(4).toString('hex')}` }, { timeoutMs });
  const times: StartupTimes = {
    floorMs: [],
    scanBootMs: [],
    scanIndexMs: [],
    snapshotBootMs: [],
    snapshotIndexMs: [],
    snapshotVerifiedMs: [],
    snapshotWriteMs: 0,
    snapshotBytes: 0,
    snapshotSource: [],
  };
  // A snapshot left by an earlier bench run on a kept volume must not be what the first starts find.
  rmSync(join(env.DATA_DIR!, 'index'), { recursive: true, force: true });
  const floor = (): void => {
    times.floorMs.push(runs > 0 ? scanFloor(env.DATA_DIR!).ms : 0);
  };

  floor();
  const off = await start('off');
  times.scanBootMs.push(off.ready.processToListenMs);
  times.scanIndexMs.push(off.ready.indexMs ?? Number.NaN);
  await off.stop();

  floor();
  const writer = await start('on');
  times.scanBootMs.push(writer.ready.processToListenMs);
  times.scanIndexMs.push(writer.ready.indexMs ?? Number.NaN);
  const written = await writer.ask({ type: 'snapshot' }, 'snapshot', timeoutMs);
  times.snapshotWriteMs = written.ms;
  times.snapshotBytes = written.bytes;
  await writer.stop();

  let api: ApiProcess | undefined;
  for (let i = 0; i < 2; i++) {
    if (api) await api.stop();
    api = await start('on');
    times.snapshotBootMs.push(api.ready.processToListenMs);
    times.snapshotIndexMs.push(api.ready.indexMs ?? Number.NaN);
    times.snapshotSource.push(api.ready.indexSource ?? 'unknown');
    times.snapshotVerifiedMs.push((await api.ask({ type: 'verified' }, 'verified', timeoutMs)).processMs);
  }
  return { times, api: api! };
}
