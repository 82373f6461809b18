import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_NAME_PATTERN, type RunRecord } from '@modelrun/contracts';
import { VolumeLayout, runIdOfRecordFile } from './layout';
import { parseRecord } from './records';

export interface ScanOptions {
  /** Files read at once (default 64): enough to keep the disk busy, few enough for the fd limit. */
  concurrency?: number;
  /** Run ids already indexed: their files are not read again. */
  skip?: (id: string) => boolean;
  onRecord: (record: RunRecord) => void;
  /** A file that is not a valid record: reported, skipped, never fatal. */
  onError?: (path: string, err: Error) => void;
}

export interface ScanResult {
  files: number;
  records: number;
  errors: number;
}

/** Reads every run record on the volume, asynchronously, a bounded number at a time. */
export async function scanRecords(layout: VolumeLayout, opts: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = { files: 0, records: 0, errors: 0 };
  const models = await readdirOrEmpty(layout.runsDir);
  const paths: string[] = [];
  for (const model of models) {
    if (!MODEL_NAME_PATTERN.test(model)) continue;
    for (const file of await readdirOrEmpty(join(layout.runsDir, model))) {
      const id = runIdOfRecordFile(file);
      if (id === undefined || opts.skip?.(id)) continue;
      paths.push(join(layout.runsDir, model, file));
    }
  }
  result.files = paths.length;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      try {
        opts.onRecord(parseRecord(path, await readFile(path, 'utf8')));
        result.records++;
      } catch (err) {
        result.errors++;
        opts.onError?.(path, err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 64) }, lane));
  return result;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
