/**
 * A start-up scan thread (see RecordScanner, `threads`): lists the model folders it is given,
 * reads and validates their records with plain blocking calls (this is not the event loop's
 * thread, so nothing waits on them) and posts the records back in batches.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { RunRecord } from '@modelrun/contracts';
import { parseRecord, runIdOfRecordFile } from '@modelrun/store';

export interface ScanThreadInput {
  runsDir: string;
  models: string[];
}

export type ScanThreadMessage =
  | {
      type: 'batch';
      records: RunRecord[];
      errors: { path: string; message: string }[];
      files: number;
      folders: number;
      /** Each folder listed: its mtime before the listing and when it was listed (an index snapshot keeps them). */
      listed: [model: string, mtimeMs: number, at: number][];
    }
  | { type: 'done' };

/** Records per message: big enough that posting costs little, small enough to start indexing early. */
const BATCH = 500;
const READ_BUFFER_BYTES = 64 * 1024;

function run(input: ScanThreadInput): void {
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  let batch: Extract<ScanThreadMessage, { type: 'batch' }> = { type: 'batch', records: [], errors: [], files: 0, folders: 0, listed: [] };
  const flush = (): void => {
    parentPort!.postMessage(batch);
    batch = { type: 'batch', records: [], errors: [], files: 0, folders: 0, listed: [] };
  };
  for (const model of input.models) {
    const dir = join(input.runsDir, model);
    let files: string[];
    try {
      const { mtimeMs } = statSync(dir);
      const at = Date.now();
      // Sorted: run ids are time-ordered, so each model's runs reach the index in its order.
      files = readdirSync(dir).sort();
      batch.folders++;
      batch.listed.push([model, mtimeMs, at]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') batch.errors.push({ path: dir, message: (err as Error).message });
      continue;
    }
    for (const file of files) {
      if (runIdOfRecordFile(file) === undefined) continue;
      const path = join(dir, file);
      batch.files++;
      try {
        batch.records.push(parseRecord(path, readText(path, buffer)));
      } catch (err) {
        batch.errors.push({ path, message: (err as Error).message });
      }
      if (batch.records.length + batch.errors.length >= BATCH) flush();
    }
  }
  flush();
  parentPort!.postMessage({ type: 'done' } satisfies ScanThreadMessage);
}

/** open, one read, close: records are a few hundred bytes; a bigger one is read again whole. */
function readText(path: string, buffer: Buffer): string {
  const fd = openSync(path, 'r');
  let bytes: number;
  try {
    bytes = readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
  return bytes < buffer.length ? buffer.toString('utf8', 0, bytes) : readFileSync(path, 'utf8');
}

if (parentPort) run(workerData as ScanThreadInput);
