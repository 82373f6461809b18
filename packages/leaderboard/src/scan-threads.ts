import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { VolumeLayout } from '@modelrun/store';
import type { ScanOptions, ScanResult } from './scan';
import type { ScanThreadInput, ScanThreadMessage } from './scan-worker';
import type { FolderState } from './snapshot-format';

/** scan-worker.ts in development (tsx), scan-worker.js once built. */
const SCAN_WORKER = join(__dirname, `scan-worker${extname(__filename)}`);

/**
 * Hands the folders to `threads` scan threads (scan-worker.ts) and indexes what they post back.
 * @param onListed each folder listed, with its state (RecordScanner keeps them).
 * @returns the folders of any thread that failed to run, for the async path to scan instead.
 */
export async function scanInThreads(
  layout: VolumeLayout,
  models: string[],
  threads: number,
  opts: ScanOptions,
  result: ScanResult,
  onListed: (model: string, state: FolderState) => void,
): Promise<string[]> {
  const groups = Array.from({ length: threads }, (_, t) => models.filter((_m, i) => i % threads === t));
  const failed: string[] = [];
  await Promise.all(
    groups.map(
      (group) =>
        new Promise<void>((resolve) => {
          const input: ScanThreadInput = { runsDir: layout.runsDir, models: group };
          const worker = startScanThread(input);
          let done = false;
          worker.on('message', (msg: ScanThreadMessage) => {
            if (msg.type === 'done') {
              done = true;
              return;
            }
            result.files += msg.files;
            result.folders! += msg.folders;
            for (const [model, mtimeMs, at] of msg.listed) onListed(model, { mtimeMs, at });
            for (const record of msg.records) {
              try {
                opts.onRecord(record);
                result.records++;
              } catch (err) {
                result.errors++;
                opts.onError?.(layout.recordPath(record.name, record.id), err as Error);
              }
            }
            for (const e of msg.errors) {
              result.errors++;
              opts.onError?.(e.path, new Error(e.message));
            }
          });
          // A thread that could not start or died: its folders are scanned again in process
          // (upserting a record twice is harmless).
          worker.on('error', () => undefined);
          worker.on('exit', () => {
            if (!done) failed.push(...group);
            resolve();
          });
        }),
    ),
  );
  return failed;
}

function startScanThread(input: ScanThreadInput): Worker {
  // From source (tsx), the thread registers tsx itself: on Node 20 the parent's module hooks do
  // not reach worker threads. Built code (scan-worker.js) needs nothing.
  if (SCAN_WORKER.endsWith('.ts')) return new Worker(`require('tsx/cjs'); require(${JSON.stringify(SCAN_WORKER)});`, { eval: true, workerData: input });
  return new Worker(SCAN_WORKER, { workerData: input });
}
