import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunRecord } from '@modelrun/contracts';
import { placeOnce, placeReplace, stageFile, writeFileOnce, writeFileReplace } from './atomic';
import { VolumeLayout } from './layout';

/** A record file that exists but does not hold a valid record. */
export class CorruptRecordError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`corrupt run record ${path}: ${detail}`);
    this.name = 'CorruptRecordError';
  }
}

/** Reads and writes run records and logs on the shared volume. Only workers write. */
export class RecordStore {
  readonly layout: VolumeLayout;

  constructor(dataDir: string) {
    this.layout = new VolumeLayout(dataDir);
  }

  /** Writes a run's record once. @returns false if the run already had one (kept as it was). */
  async writeRecord(record: RunRecord): Promise<boolean> {
    const valid = RunRecord.parse(record);
    return writeFileOnce(this.layout.tmpDir, this.layout.recordPath(valid.name, valid.id), recordBody(valid));
  }

  /**
   * A finished run's log (when given), then its record once (the commit point), as writeLog
   * and writeRecord in that order; both temp files are written and fsynced at once first.
   * `beforePlacing` (the caller's last check, e.g. that it still owns the run) runs beside
   * that and must resolve before anything is put in place; if anything fails, the temp files go.
   * @returns false if the run already had a record (kept as it was; the log is replaced).
   */
  async writeRun(record: RunRecord, log: Buffer | undefined, beforePlacing?: () => Promise<void>): Promise<boolean> {
    const valid = RunRecord.parse(record);
    const recordPath = this.layout.recordPath(valid.name, valid.id);
    const logPath = this.layout.logPath(valid.name, valid.id);
    const [rec, logged, checked] = await Promise.allSettled([
      stageFile(this.layout.tmpDir, recordPath, recordBody(valid)),
      log ? stageFile(this.layout.tmpDir, logPath, log) : undefined,
      beforePlacing?.(),
    ]);
    // The caller's check first: a run it may no longer write must not pass for a full volume.
    const failed = [checked, rec, logged].find((r) => r.status === 'rejected');
    if (failed || rec.status === 'rejected' || logged.status === 'rejected') {
      const temps = [rec, logged].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
      await Promise.all(temps.map((t) => rm(t, { force: true }).catch(() => undefined)));
      throw (failed as PromiseRejectedResult).reason;
    }
    if (logged.value) {
      try {
        await placeReplace(logged.value, logPath);
      } catch (err) {
        await rm(rec.value, { force: true }).catch(() => undefined);
        throw err;
      }
    }
    return placeOnce(rec.value, recordPath);
  }

  /**
   * Replaces a run's record (a re-score, issue 19): temp file, fsync, rename, so a reader sees
   * the old record or the new, never half of one. Only for a record that already exists.
   */
  async replaceRecord(record: RunRecord): Promise<void> {
    const valid = RunRecord.parse(record);
    await writeFileReplace(this.layout.tmpDir, this.layout.recordPath(valid.name, valid.id), recordBody(valid));
  }

  /** @returns the record, or undefined if the run has none yet. */
  async readRecord(name: string, id: string): Promise<RunRecord | undefined> {
    const path = this.layout.recordPath(name, id);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseRecord(path, text);
  }

  async writeLog(name: string, id: string, data: Buffer): Promise<void> {
    await writeFileReplace(this.layout.tmpDir, this.layout.logPath(name, id), data);
  }

  async writeEvaluatorLog(name: string, id: string, data: Buffer): Promise<void> {
    await writeFileReplace(this.layout.tmpDir, this.layout.evaluatorLogPath(name, id), data);
  }

  /**
   * Removes temp files older than `olderThanMs`: what a writer killed mid-write left. A write
   * takes milliseconds; one that found its temp file gone fails and is retried by its caller.
   * @returns how many were removed.
   */
  async sweepTemp(olderThanMs: number): Promise<number> {
    let removed = 0;
    const cutoff = Date.now() - olderThanMs;
    for (const name of await readdir(this.layout.tmpDir).catch(() => [] as string[])) {
      if (!name.endsWith('.tmp')) continue;
      const path = join(this.layout.tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (
        info &&
        info.mtimeMs < cutoff &&
        (await rm(path).then(
          () => true,
          () => false,
        ))
      )
        removed++;
    }
    return removed;
  }

  /** Throws the file system's error (ENOSPC, EROFS, EACCES ...) when the volume cannot be written. */
  async probeWritable(): Promise<void> {
    await mkdir(this.layout.tmpDir, { recursive: true });
    const probe = join(this.layout.tmpDir, `.probe-${process.pid}`);
    try {
      await writeFile(probe, 'ok');
    } finally {
      // A full volume creates the file and then fails the write: never leave it behind.
      await rm(probe, { force: true }).catch(() => undefined);
    }
  }

  /** @returns the stored log, or undefined if there is none. */
  async readLog(name: string, id: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.layout.logPath(name, id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

export function parseRecord(path: string, text: string): RunRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CorruptRecordError(path, (err as Error).message);
  }
  const parsed = RunRecord.safeParse(raw);
  if (!parsed.success) throw new CorruptRecordError(path, parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

function recordBody(record: RunRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
