import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IDLE_MS, TEMP_MAX_AGE_MS } from '../../apps/worker/src/recording/recorder';

/** Room past a file's sweep time for a flush that started just before it, and a slow machine. */
const SLACK_MS = 15_000;

/**
 * With the workers still up, waits for the recorder's sweep to take the temp files a writer
 * killed mid-write left in `tmpDir`, each until it is old enough to be swept plus one sweep
 * period. @returns the files still there after that: left for good, a leak.
 * Without this wait the verdict hung on timing: a kill -9 less than 60 s before the end left a
 * file the sweep had not yet been allowed to take.
 */
export async function tempFilesAfterSweep(tmpDir: string, log: (msg: string) => void): Promise<string[]> {
  let said = false;
  for (;;) {
    const files = readdirSync(tmpDir);
    if (files.length === 0) return [];
    // A file that vanished between the listing and its stat was just swept or placed: due now.
    const due = Math.max(...files.map((f) => (statSync(join(tmpDir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0) + TEMP_MAX_AGE_MS + IDLE_MS + SLACK_MS));
    if (Date.now() > due) return files;
    if (!said) log(`waiting up to ${Math.ceil((due - Date.now()) / 1000)} s for the sweep of ${files.length} temp file(s) a killed writer left`);
    said = true;
    await sleep(1_000);
  }
}
