import { close, open, read } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_NAME_PATTERN, type RunRecord } from '@modelrun/contracts';
import { type VolumeLayout, parseRecord, runIdOfRecordFile } from '@modelrun/store';
import { scanInThreads } from './scan-threads';
import type { FolderState } from './snapshot-format';

export interface ScanOptions {
  /** Files read at once (default 64): enough to keep the disk busy, few enough for the fd limit. */
  concurrency?: number;
  /** Run ids already indexed: their files are not read again. */
  skip?: (id: string) => boolean;
  onRecord: (record: RunRecord) => void;
  /** A file that is not a valid record: reported, skipped, never fatal. */
  onError?: (path: string, err: Error) => void;
  /**
   * List, read and validate in up to this many worker threads (default 0: on the event loop,
   * async), one per RECORDS_PER_THREAD records the volume seems to hold, none for a small one.
   * For the start-up load of a large volume: each thread reads with plain blocking calls, which
   * for many small files is 2-3x cheaper than libuv's pool (three hand-offs per file), and the
   * JSON and schema work is spread over the cores. Not combined with `skip`.
   */
  threads?: number;
  /**
   * Checking an index loaded from a snapshot against the volume: in each folder listed (one
   * whose mtime moved), runs the index holds whose file is gone are reported, and files
   * modified since the folder was last listed are read again (a record replaced by a rename).
   */
  verify?: {
    /** The finished runs the index holds for a model, taken before its folder is listed. */
    known: (model: string) => string[];
    /** The models the index holds: one whose folder is gone has lost every run. */
    models: () => string[];
    onGone: (model: string, ids: string[]) => void;
  };
  /**
   * An incremental rescan noticing records removed (retention, issue 19): in each folder listed,
   * runs `known` names whose file is gone are reported. Unlike `verify`, nothing is read again.
   */
  gone?: {
    /** The finished runs the index holds for a model, taken before its folder is listed. */
    known: (model: string) => string[];
    onGone: (model: string, ids: string[]) => void;
  };
}

export interface ScanResult {
  files: number;
  records: number;
  errors: number;
  /** Model folders listed (an incremental scan lists only those that changed). */
  folders?: number;
}

/** Records are a few hundred bytes; a bigger one is read again whole. */
const READ_BUFFER_BYTES = 64 * 1024;
/** Folders listed at once: readdir runs on libuv's small thread pool, more would only queue. */
const LIST_CONCURRENCY = 8;
/**
 * A folder modified this recently is listed again on the next scan even if its mtime looks
 * unchanged: some file systems (NFS, ext3) keep whole-second mtimes, so a record linked in the
 * same second as the last listing would not move it.
 */
const MTIME_SLACK_MS = 2_000;
/** Every this many scans, every folder is listed again whatever its mtime: a bound on any miss. */
const FULL_EVERY = 10;
/** Folders listed to estimate a volume's size before choosing threads. */
const SAMPLE_FOLDERS = 32;
/** Records a start-up scan thread is worth: below this, the async path is as fast (measured). */
const RECORDS_PER_THREAD = 25_000;

/**
 * Reads run records off the volume. The first scan lists every model folder; later scans list
 * only folders whose mtime moved (linking a record into a folder updates it), so the periodic
 * safety-net rescan costs a stat per model, not a listing of every record on the volume.
 */
export class RecordScanner {
  private readonly listed = new Map<string, FolderState>();
  private scans = 0;

  constructor(private readonly layout: VolumeLayout) {}

  /** Each folder's state at its last listing: what an index snapshot keeps. */
  folder(model: string): FolderState | undefined {
    const state = this.listed.get(model);
    return state && Number.isFinite(state.mtimeMs) ? state : undefined;
  }

  /** Takes folder states from an index snapshot: the next scan lists only folders changed since. */
  seed(model: string, state: FolderState): void {
    this.listed.set(model, state);
    this.scans = Math.max(this.scans, 1);
  }

  async scan(opts: ScanOptions): Promise<ScanResult> {
    const result: ScanResult = { files: 0, records: 0, errors: 0, folders: 0 };
    const full = this.scans++ % FULL_EVERY === 0;
    const models = (await readdirOrEmpty(this.layout.runsDir)).filter((m) => MODEL_NAME_PATTERN.test(m));
    const threads = opts.skip || !opts.threads ? 0 : await this.threadsFor(models, opts.threads);
    const onListed = (model: string, state: FolderState): void => void this.listed.set(model, state);
    const leftover = threads > 0 ? await scanInThreads(this.layout, models, threads, opts, result, onListed) : models;
    if (leftover.length) await this.inProcess(leftover, full, opts, result);
    if (opts.verify) {
      const present = new Set(models);
      for (const model of opts.verify.models()) if (!present.has(model)) opts.verify.onGone(model, opts.verify.known(model));
    }
    return result;
  }

  /**
   * Threads pay off only on a large volume: each costs a start (a new V8 isolate loading the
   * schema; from source, tsx as well: up to a second on a busy machine). A few folders, listed
   * evenly across the volume, estimate its size.
   */
  private async threadsFor(models: string[], max: number): Promise<number> {
    if (models.length === 0) return 0;
    const step = Math.max(1, Math.floor(models.length / SAMPLE_FOLDERS));
    const sample = models.filter((_m, i) => i % step === 0).slice(0, SAMPLE_FOLDERS);
    const counts = await Promise.all(
      sample.map((m) =>
        readdirOrEmpty(join(this.layout.runsDir, m)).then(
          (f) => f.length,
          () => 0,
        ),
      ),
    );
    const estimate = (counts.reduce((a, b) => a + b, 0) / sample.length) * models.length;
    return estimate < RECORDS_PER_THREAD ? 0 : Math.min(max, Math.ceil(estimate / RECORDS_PER_THREAD), models.length);
  }

  /** The async path: folders listed 8 at a time, files read `concurrency` at a time. */
  private async inProcess(models: string[], full: boolean, opts: ScanOptions, result: ScanResult): Promise<void> {
    const paths: string[] = [];
    /** Known files in changed folders (verify): read again if modified since this time. */
    const recheck: { path: string; since: number }[] = [];
    await inLanes(models, LIST_CONCURRENCY, async (model) => {
      const dir = join(this.layout.runsDir, model);
      try {
        const mtimeMs = (await stat(dir)).mtimeMs;
        const before = this.listed.get(model);
        if (!full && before && before.mtimeMs === mtimeMs && before.at - mtimeMs > MTIME_SLACK_MS) return;
        const watch = opts.verify ?? opts.gone;
        const known = watch && new Set(watch.known(model));
        const at = Date.now();
        // Sorted: run ids are time-ordered, so each model's runs reach the index in its order.
        const files = (await readdirOrEmpty(dir)).sort();
        this.listed.set(model, { mtimeMs, at });
        result.folders!++;
        for (const file of files) {
          const id = runIdOfRecordFile(file);
          if (id === undefined) continue;
          known?.delete(id);
          if (!opts.skip?.(id)) paths.push(join(dir, file));
          else if (opts.verify) recheck.push({ path: join(dir, file), since: before ? before.at - MTIME_SLACK_MS : -Infinity });
        }
        if (known?.size) watch!.onGone(model, [...known]);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          const watch = opts.verify ?? opts.gone;
          watch?.onGone(model, watch.known(model));
          return;
        }
        // A stray file or an unreadable folder under runs/: reported like a bad record.
        result.errors++;
        opts.onError?.(dir, err as Error);
      }
    });
    await inLanes(recheck, Math.max(1, opts.concurrency ?? 64), async ({ path, since }) => {
      // A file gone since the listing is left to the next scan.
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs > since) paths.push(path);
    });
    result.files += paths.length;
    await inLanes(paths, Math.max(1, opts.concurrency ?? 64), async (path, buffer) => {
      try {
        opts.onRecord(parseRecord(path, await readText(path, buffer)));
        result.records++;
      } catch (err) {
        result.errors++;
        opts.onError?.(path, err as Error);
      }
    });
  }
}

/** Reads every record on the volume once (a fresh scanner: no folder is skipped). */
export function scanRecords(layout: VolumeLayout, opts: ScanOptions): Promise<ScanResult> {
  return new RecordScanner(layout).scan(opts);
}

/**
 * open, one read into the lane's buffer, close: three thread-pool round trips where
 * fs.promises.readFile makes five (it also fstats and reads until a zero-byte read).
 */
function readText(path: string, buffer: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (err, fd) => {
      if (err) return reject(err);
      read(fd, buffer, 0, buffer.length, 0, (readErr, bytes) => {
        // Not awaited: the text is already in hand, and a failed close leaks nothing we can fix.
        close(fd, () => undefined);
        if (readErr) return reject(readErr);
        if (bytes < buffer.length) return resolve(buffer.toString('utf8', 0, bytes));
        readFile(path, 'utf8').then(resolve, reject);
      });
    });
  });
}

/** Runs `fn` over `items`, `lanes` at a time; each lane has its own read buffer. */
async function inLanes<T>(items: readonly T[], lanes: number, fn: (item: T, buffer: Buffer) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      while (next < items.length) await fn(items[next++]!, buffer);
    }),
  );
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
