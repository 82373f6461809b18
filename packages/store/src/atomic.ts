import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Durable writes: temp file in the same file system, fsync, then into place, then fsync the
 * folder, so a crash leaves either the old state or the new, never half a file.
 */
/** A whole file, or its pieces in order (written as they come: a big file need not be held whole). */
export type FileData = Buffer | string | Iterable<string | Buffer>;

/** Writes `data` to a fresh temp file for `finalPath` in `tmpDir`, fsynced. @returns its path. */
export async function stageFile(tmpDir: string, finalPath: string, data: FileData): Promise<string> {
  await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${basename(finalPath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
  try {
    // Each writeFile on a handle writes on from where the last one ended.
    if (typeof data === 'string' || Buffer.isBuffer(data)) await fh.writeFile(data);
    else for (const piece of data) await fh.writeFile(piece);
    await fh.sync();
  } catch (err) {
    // A full volume fails the write after the file exists: leave no half-written temp file.
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `finalPath` only if it does not exist yet: `link()` fails with EEXIST instead of
 * replacing, so two workers finishing the same run cannot both write its record.
 * @returns false when the file was already there (and is left untouched).
 */
export async function writeFileOnce(tmpDir: string, finalPath: string, data: Buffer | string): Promise<boolean> {
  return placeOnce(await stageFile(tmpDir, finalPath, data), finalPath);
}

/** Writes or replaces `finalPath` atomically (rename). */
export async function writeFileReplace(tmpDir: string, finalPath: string, data: FileData): Promise<void> {
  await placeReplace(await stageFile(tmpDir, finalPath, data), finalPath);
}

/** Puts a staged file in place unless `finalPath` exists (see writeFileOnce); the temp file goes either way. */
export async function placeOnce(tmp: string, finalPath: string): Promise<boolean> {
  try {
    await mkdir(dirname(finalPath), { recursive: true });
    await link(tmp, finalPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await syncDir(dirname(finalPath));
  return true;
}

/** Puts a staged file in place, replacing `finalPath` (see writeFileReplace); a failed move removes the temp file. */
export async function placeReplace(tmp: string, finalPath: string): Promise<void> {
  try {
    await mkdir(dirname(finalPath), { recursive: true });
    await rename(tmp, finalPath);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(finalPath));
}
