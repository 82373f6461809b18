import type { RunRecord } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import type { PendingOutcome, PendingOutcomes } from '@modelrun/run-control';
import type { RecordStore } from '@modelrun/store';
import { errorMessage } from '../run/faults';
import { type VolumeHealth, isVolumeError } from './volume-health';

/** How a run's outcome was recorded. */
export interface Recorded {
  /** The run's record: the one on the volume, or the one kept pending until it can be. */
  record: RunRecord;
  /** True when the volume did not take it: it waits in Redis and the recorder writes it later. */
  pending: boolean;
}

export interface RecorderOptions {
  store: RecordStore;
  pending: PendingOutcomes;
  volume: VolumeHealth;
  log: Logger;
  /** Longest wait between tries to write pending outcomes (WORKER_RECORD_RETRY_MAX_MS). */
  retryMaxMs: number;
  /** Called once per record this worker put on the volume. */
  onRecorded?(record: RunRecord): void;
  /** How many outcomes are pending, each time the recorder looks. */
  onPendingCount?(n: number): void;
}

/** First wait between tries once a write failed; doubles up to `retryMaxMs`. */
const RETRY_MIN_MS = 500;
/** How often a healthy worker looks for outcomes another worker left pending (and sweeps temp files). */
export const IDLE_MS = 10_000;
/** A temp file on the volume older than this was left by a writer that died (writes take milliseconds). */
export const TEMP_MAX_AGE_MS = 60_000;
/** A pending outcome younger than this is left to the worker that kept it (it retries it soon). */
const MIN_AGE_MS = 5_000;

/**
 * Writes finished runs' records to the volume without ever losing one to it. When the volume
 * refuses (full, read-only), the outcome is pending in Redis, the job ends (no slot is held), and a
 * loop in every worker retries with backoff for as long as it takes, dropping it once written.
 * Any worker writes any pending outcome, so one left by a worker that died is written too.
 */
export class Recorder {
  private timer: NodeJS.Timeout | undefined;
  private delayMs = RETRY_MIN_MS;
  private flushing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: RecorderOptions) {}

  /**
   * Records a run onto the volume; when the volume refuses it, into Redis instead, until it can.
   * `beforePlacing` is the caller's last check before anything is written (fencing).
   * Nothing is lost before that: until the job ends, a delivery that dies is redelivered and its
   * run's container (removed only once the run is recorded) adopted and collected again.
   */
  async record(record: RunRecord, logBytes: Buffer | undefined, log: Logger, beforePlacing?: () => Promise<void>): Promise<Recorded> {
    try {
      return { record: await this.write(record, logBytes, log, beforePlacing), pending: false };
    } catch (err) {
      if (!isVolumeError(err)) throw err;
      log.warn("the volume did not take the run's record; its outcome is pending in Redis and written when the volume can take it", errorFields(err));
      // With its error in the same write: noted after, the run was shown waiting without the reason for a moment.
      await this.opts.pending.keep({ record, since: new Date().toISOString(), error: errorMessage(err), ...(logBytes && { log: logBytes }) });
      this.opts.volume.failed(err);
      this.schedule(RETRY_MIN_MS);
      return { record, pending: true };
    }
  }

  /** The run's record, on the volume or pending; undefined when it has neither. */
  async known(name: string, id: string): Promise<Recorded | undefined> {
    // Both at once. A pending outcome written to the volume between the two reads can make both
    // miss (as in either order); the processor reads the record again before it starts a new
    // container, which catches that.
    const [onDisk, pending] = await Promise.all([this.opts.store.readRecord(name, id), this.opts.pending.get(id)]);
    if (onDisk) return { record: onDisk, pending: false };
    return pending && { record: pending.record, pending: true };
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.flushing;
  }

  /** Tries to write every pending outcome now. */
  flushNow(): Promise<void> {
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.flushNow().finally(() => this.schedule(this.opts.volume.fault ? this.delayMs : IDLE_MS));
    }, ms);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    const { pending, volume, log } = this.opts;
    let failed = false;
    try {
      const ids = await pending.ids();
      this.opts.onPendingCount?.(ids.length);
      for (const id of ids) {
        const outcome = await pending.get(id);
        if (!outcome) {
          await pending.done(id);
          continue;
        }
        if (!volume.fault && Date.now() - Date.parse(outcome.since) < MIN_AGE_MS) continue;
        if (!(await this.tryWrite(outcome))) {
          failed = true;
          break;
        }
      }
      // Nothing pending here may still leave this worker's volume marked unwritable: probe it.
      if (!failed && volume.fault) failed = !(await this.probe());
      if (!failed) {
        this.opts.onPendingCount?.((await pending.ids()).length);
        const swept = await this.opts.store.sweepTemp(TEMP_MAX_AGE_MS);
        if (swept) log.info('removed temp files a killed writer left on the volume', { files: swept });
      }
    } catch (err) {
      log.warn('could not flush pending outcomes', errorFields(err));
      failed = true;
    }
    this.delayMs = failed ? Math.min(this.delayMs * 2, this.opts.retryMaxMs) : RETRY_MIN_MS;
  }

  /** @returns false when the volume still refuses. */
  private async tryWrite(outcome: PendingOutcome): Promise<boolean> {
    const { record } = outcome;
    const log = this.opts.log.child({ runId: record.id, model: record.name });
    try {
      await this.write(record, outcome.log, log);
      await this.opts.pending.done(record.id);
      log.info('pending outcome written to the volume', { status: record.status, pendingSince: outcome.since });
      return true;
    } catch (err) {
      if (!isVolumeError(err)) throw err;
      this.opts.volume.failed(err);
      await this.opts.pending.noteError(record.id, errorMessage(err));
      return false;
    }
  }

  /** The log first, then the record (the commit point); `beforePlacing` must pass before either. */
  private async write(record: RunRecord, logBytes: Buffer | undefined, log: Logger, beforePlacing?: () => Promise<void>): Promise<RunRecord> {
    const { store, volume } = this.opts;
    const fresh = await store.writeRun(record, logBytes, beforePlacing);
    volume.writable();
    let final = record;
    if (fresh) this.opts.onRecorded?.(record);
    else {
      log.warn('run was already recorded by another delivery; keeping that record');
      final = (await store.readRecord(record.name, record.id)) ?? record;
    }
    return final;
  }

  private async probe(): Promise<boolean> {
    try {
      await this.opts.store.probeWritable();
      this.opts.volume.writable();
      return true;
    } catch (err) {
      if (!isVolumeError(err)) throw err;
      return false;
    }
  }
}
