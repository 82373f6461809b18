import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isFinal } from '@modelrun/contracts';
import { type VolumeLayout, writeFileReplace } from '@modelrun/store';
import { type RunIndex, summarize } from './run-index';
import { RecordScanner, type ScanResult } from './scan';
import { SNAPSHOT_VERSION, type SnapshotModel, decodeSnapshot, encodeSnapshot } from './snapshot-format';

export interface SyncLog {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export interface VolumeSyncOptions {
  layout: VolumeLayout;
  index: RunIndex;
  log: SyncLog;
  /** INDEX_SNAPSHOT: start from the snapshot on the volume, and keep it current. */
  snapshot: boolean;
  /** Threads for a full start-up scan (ScanOptions.threads). */
  threads?: number;
}

/**
 * Where the index stands against the volume. `snapshot-unverified`: loaded from the snapshot
 * and serving, while the volume is checked for records added, replaced or removed since.
 */
export type IndexState = 'empty' | 'scanned' | 'snapshot-unverified' | 'verified';

export interface LoadResult {
  source: 'snapshot' | 'scan';
  records: number;
  errors: number;
  ms: number;
}

/** Snapshot lines are gathered into writes of about this size. */
const WRITE_CHUNK = 1 << 20;

/**
 * Keeps the API's index in step with the volume: the start-up load (the index snapshot, trusted
 * and then verified in the background, or a full scan), the incremental rescans, and writing
 * the snapshot. Scans and snapshot writes take turns, so a snapshot never records a folder as
 * listed while its records are still being read.
 */
export class VolumeSync {
  state: IndexState = 'empty';
  /** Settles when the index has been checked against the volume (at once after a full scan). */
  verified: Promise<void> = Promise.resolve();
  private scanner: RecordScanner;
  private turn: Promise<unknown> = Promise.resolve();
  private savedVersion = -1;
  private savedAt = 0;
  private warnedWrite = false;

  constructor(private readonly opts: VolumeSyncOptions) {
    this.scanner = new RecordScanner(opts.layout);
  }

  get snapshotPath(): string {
    return join(this.opts.layout.root, 'index', `snapshot-v${SNAPSHOT_VERSION}.ndjson`);
  }

  /** Fills the index: from the snapshot when there is a sound one, else by reading every record. */
  async load(): Promise<LoadResult> {
    const started = Date.now();
    const records = this.opts.snapshot ? await this.loadSnapshot() : undefined;
    if (records !== undefined) {
      this.savedVersion = this.opts.index.version;
      this.state = 'snapshot-unverified';
      // A volume that cannot be listed now (say) leaves the index served as loaded, and says so;
      // the next rescan verifies instead.
      this.verified = this.inTurn(() => this.verify()).then(
        () => undefined,
        (err: Error) => this.opts.log.warn('could not verify the index snapshot against the volume; the next rescan tries again', { error: err.message }),
      );
      return { source: 'snapshot', records, errors: 0, ms: Date.now() - started };
    }
    const result = await this.inTurn(() => this.scan(this.opts.threads ?? 0));
    this.state = 'scanned';
    if (this.opts.snapshot) void this.saveSnapshot();
    return { source: 'scan', records: result.records, errors: result.errors, ms: Date.now() - started };
  }

  /** Reads records the index does not hold yet, from folders changed since the last scan. */
  rescan(): Promise<ScanResult> {
    return this.inTurn(() => (this.state === 'snapshot-unverified' ? this.verify() : this.scan(0)));
  }

  /**
   * Writes the index snapshot if the index changed since the last one (atomically: temp file,
   * fsync, rename). Several APIs on one volume may each write: the last rename wins, whole.
   * @param minIntervalMs skip it if the last one is more recent than this: at a million runs a
   *   snapshot is a few hundred MB, and one missing a few minutes of runs only makes the next
   *   start-up's verification read those runs' records.
   * @returns whether a snapshot was written.
   */
  saveSnapshot(minIntervalMs = 0): Promise<boolean> {
    return this.inTurn(async () => {
      const version = this.opts.index.version;
      if (!this.opts.snapshot || version === this.savedVersion || Date.now() - this.savedAt < minIntervalMs) return false;
      const models = (function* (sync: VolumeSync): Generator<SnapshotModel> {
        for (const m of sync.opts.index.finishedRuns()) {
          const folder = sync.scanner.folder(m.name);
          yield { ...m, ...(folder && { folder }) };
        }
      })(this);
      try {
        const started = Date.now();
        const dir = join(this.opts.layout.root, 'index');
        await writeFileReplace(join(dir, 'tmp'), this.snapshotPath, chunked(encodeSnapshot(models), WRITE_CHUNK));
        this.savedVersion = version;
        this.savedAt = Date.now();
        this.opts.log.info('index snapshot written', { path: this.snapshotPath, models: this.opts.index.modelCount, ms: Date.now() - started });
        return true;
      } catch (err) {
        // A read-only volume, a full disk: the API works on without a snapshot, said once.
        if (!this.warnedWrite) this.opts.log.warn('could not write the index snapshot', { path: this.snapshotPath, error: (err as Error).message });
        this.warnedWrite = true;
        return false;
      }
    });
  }

  /**
   * Fills the index from the snapshot, checking each line as it goes (its checksum was checked
   * first). Nothing is served during the load, so a bad line late in the file just empties the
   * index again.
   * @returns the runs loaded; undefined (said why) when there is no snapshot fit to use.
   */
  private async loadSnapshot(): Promise<number | undefined> {
    const path = this.snapshotPath;
    let file: Buffer;
    try {
      file = await readFile(path);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      this.opts.log[missing ? 'info' : 'warn']('no index snapshot to start from; scanning the whole volume', { path, error: (err as Error).message });
      return undefined;
    }
    let records = 0;
    try {
      for (const m of decodeSnapshot(file)) {
        if (m.folder) this.scanner.seed(m.name, m.folder);
        this.opts.index.addModel(m.name, m.runs);
        records += m.runs.length;
      }
      return records;
    } catch (err) {
      this.opts.index.clear();
      this.scanner = new RecordScanner(this.opts.layout);
      this.opts.log.warn('index snapshot unusable; scanning the whole volume', { path, error: (err as Error).message });
      return undefined;
    }
  }

  private async verify(): Promise<ScanResult> {
    const started = Date.now();
    const { index } = this.opts;
    let removed = 0;
    const result = await this.scan(0, {
      known: (model) => index.finishedRunIds(model),
      models: () => index.modelNames(),
      onGone: (_model, ids) => {
        for (const id of ids) index.remove(id);
        removed += ids.length;
      },
    });
    this.state = 'verified';
    this.opts.log.info('index snapshot verified against the volume', { read: result.records, removed, folders: result.folders, errors: result.errors, ms: Date.now() - started });
    return result;
  }

  private scan(threads: number, verify?: Parameters<RecordScanner['scan']>[0]['verify']): Promise<ScanResult> {
    const { index, log } = this.opts;
    return this.scanner.scan({
      // Threads only for a full load, which skips nothing (ScanOptions.threads).
      ...(threads > 0
        ? { threads }
        : {
            // A finished run's record is written once: only a cancelled run's may come after its view.
            skip: (id: string) => {
              const known = index.getRun(id);
              return known !== undefined && isFinal(known.status) && known.status !== 'cancelled';
            },
            // A record removed (by retention) leaves the index here; a cancelled run's view may come before its record, so it is not missed yet.
            ...(!verify && {
              gone: {
                known: (model: string) => index.finishedRunIds(model).filter((id) => index.getRun(id)?.status !== 'cancelled'),
                onGone: (_model: string, ids: string[]) => ids.forEach((id) => index.remove(id)),
              },
            }),
          }),
      onRecord: (r) => index.upsert(summarize(r)),
      onError: (path, err) => log.warn('skipping an unreadable run record', { path, error: err.message }),
      ...(verify && { verify }),
    });
  }

  /** Settles when every scan and snapshot write asked for so far has ended (the one after a full load runs in the background). */
  idle(): Promise<void> {
    return this.turn.then(() => undefined);
  }

  /** Runs `fn` after whatever scan or write is under way. */
  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.then(fn, fn);
    this.turn = next.catch(() => undefined);
    return next;
  }
}

function* chunked(lines: Iterable<string>, size: number): Generator<string> {
  let parts: string[] = [];
  let length = 0;
  for (const line of lines) {
    parts.push(line);
    length += line.length;
    if (length >= size) {
      yield parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (parts.length) yield parts.join('');
}
