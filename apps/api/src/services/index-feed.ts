import { EventEmitter } from 'node:events';
import type { Job, QueueEvents } from 'bullmq';
import { type RunJobData, RunProgress, isFinal } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import type { RunQueues } from '@modelrun/queue';
import { RecordScanner, type RunIndex, type RunSummary, summarize } from '@modelrun/leaderboard';
import type { PendingOutcomes } from '@modelrun/run-control';
import type { RecordStore } from '@modelrun/store';
import { statusOfJobState, viewOfJob, viewOfPending } from './views';

const LIVE_STATES = ['active', 'waiting', 'prioritized', 'delayed'] as const;
const PAGE = 1_000;
/** Start-up scan threads: more than the cores, so a cold disk has several reads in flight. */
const LOAD_THREADS = 4;

export interface FeedDeps {
  index: RunIndex;
  store: RecordStore;
  queues: RunQueues;
  /** One per queue of runs that can hold runs (the GPU queue's only when GPUs are on). */
  events: QueueEvents[];
  /** Finished runs whose records wait for the volume: shown as `recording` until written. */
  pending: PendingOutcomes;
  log: Logger;
}

/**
 * Keeps the API's index current without ever rescanning on a request: a full scan of the volume
 * at start, then one record or job at a time as queue events arrive, plus an occasional rescan
 * that picks up anything an event missed (the API was disconnected, say). The rescan lists only
 * model folders that changed since the last one (see RecordScanner).
 */
export class IndexFeed {
  private timer: NodeJS.Timeout | undefined;
  private rescanning: Promise<void> | undefined;
  private readonly scanner: RecordScanner;
  /** Emits a run's id once its job has ended and the index has read its record. */
  private readonly settled = new EventEmitter();

  constructor(private readonly deps: FeedDeps) {
    this.scanner = new RecordScanner(deps.store.layout);
    // One listener per client waiting on a run (GET /v1/runs/{id}?wait=): many are expected.
    this.settled.setMaxListeners(0);
  }

  /** Calls `listener` when the run's job ends (once). @returns a function that stops listening. */
  onSettled(runId: string, listener: () => void): () => void {
    this.settled.once(runId, listener);
    return () => this.settled.off(runId, listener);
  }

  /** Loads every record on the volume; resolves when the index is complete. */
  async load(): Promise<{ records: number; errors: number; ms: number }> {
    const started = Date.now();
    const result = await this.scanner.scan({
      // Nothing is served until the load is done: read in threads, the fastest way (ScanOptions).
      threads: LOAD_THREADS,
      onRecord: (r) => this.deps.index.upsert(summarize(r)),
      onError: (path, err) => this.deps.log.warn('skipping an unreadable run record', { path, error: err.message }),
    });
    return { records: result.records, errors: result.errors, ms: Date.now() - started };
  }

  /** Listens to queue events and seeds the runs that are live right now. */
  async follow(rescanSeconds: number): Promise<void> {
    for (const events of this.deps.events) this.listen(events);
    await this.seedLive().catch((err) => this.deps.log.warn('could not read live runs from the queue', errorFields(err)));
    if (rescanSeconds > 0) {
      this.timer = setInterval(() => void this.rescan(), rescanSeconds * 1000);
      this.timer.unref();
    }
  }

  private listen(events: QueueEvents): void {
    // An event says enough about a run the index already holds to update it in place; only a
    // run it has not seen (submitted through another API replica, say) costs a read of its job.
    // That keeps Redis round trips per submission at one (the add) instead of three.
    events.on('added', ({ jobId }) => this.known(jobId) || void this.refreshJob(jobId));
    events.on('waiting', ({ jobId }) => this.patch(jobId, 'queued') || void this.refreshJob(jobId));
    events.on('active', ({ jobId }) => this.patch(jobId, 'running') || void this.refreshJob(jobId));
    events.on('progress', ({ jobId, data }) => this.patch(jobId, 'running', data) || void this.refreshJob(jobId));
    events.on('stalled', ({ jobId }) => void this.refreshJob(jobId));
    events.on('completed', ({ jobId }) => void this.settle(jobId));
    events.on('failed', ({ jobId }) => void this.settle(jobId));
    events.on('removed', ({ jobId }) => this.deps.index.removeLive(jobId));
    events.on('error', (err) => this.deps.log.warn('queue events error', errorFields(err)));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Picks up records the events did not bring, and settles live entries whose job has ended. */
  rescan(): Promise<void> {
    if (this.rescanning) return this.rescanning;
    this.rescanning = (async () => {
      const { index } = this.deps;
      await this.scanner.scan({
        skip: (id) => {
          const known = index.getRun(id);
          return known !== undefined && isFinal(known.status) && known.status !== 'cancelled';
        },
        onRecord: (r) => index.upsert(summarize(r)),
      });
      await this.seedLive();
    })()
      .catch((err) => {
        this.deps.log.warn('index rescan failed', errorFields(err));
      })
      .finally(() => {
        this.rescanning = undefined;
      });
    return this.rescanning;
  }

  private known(jobId: string): boolean {
    return this.deps.index.getRun(jobId) !== undefined;
  }

  /**
   * Updates a live run the index holds from an event alone. A final run is left as it is (its
   * record is the truth), and so is a run the index does not hold: the caller reads its job.
   * @returns whether the index held the run.
   */
  private patch(jobId: string, status: 'queued' | 'running', progress?: unknown): boolean {
    const known = this.deps.index.getRun(jobId);
    if (!known) return false;
    if (isFinal(known.status)) return true;
    const { phase: _phase, startedAt: _startedAt, ...rest } = known;
    const next: RunSummary = { ...rest, status };
    const parsed = RunProgress.safeParse(progress);
    const facts = parsed.success ? parsed.data : status === 'running' ? known : undefined;
    if (status === 'running' && facts?.phase) next.phase = facts.phase;
    if (status === 'running' && facts?.startedAt) next.startedAt = facts.startedAt;
    this.deps.index.upsert(next);
    return true;
  }

  /** A job ended: its record is on the volume (the worker writes it before completing the job). */
  private async settle(jobId: string): Promise<void> {
    const known = this.deps.index.getRun(jobId);
    try {
      if (!(known && (await this.loadRecord(known.name, jobId)))) await this.refreshJob(jobId);
    } catch (err) {
      this.deps.log.debug('index refresh failed', { runId: jobId, ...errorFields(err) });
    }
    this.settled.emit(jobId);
  }

  private async seedLive(): Promise<void> {
    for (let start = 0; ; start += PAGE) {
      const pages = (await Promise.all(this.deps.queues.all.map((q) => q.getJobs([...LIVE_STATES], start, start + PAGE - 1, true)))) as Job<RunJobData>[][];
      await Promise.all(pages.flat().filter(Boolean).map((job) => this.refreshFromJob(job)));
      if (pages.every((jobs) => jobs.length < PAGE)) break;
    }
  }

  /** Re-reads one run: from its job while it is live, from its record once it has ended. */
  async refreshJob(jobId: string): Promise<void> {
    try {
      const job = await this.deps.queues.getJob(jobId);
      if (job) await this.refreshFromJob(job);
      else {
        const known = this.deps.index.getRun(jobId);
        if (known) await this.loadRecord(known.name, jobId);
      }
    } catch (err) {
      this.deps.log.debug('index refresh failed', { runId: jobId, ...errorFields(err) });
    }
  }

  private async refreshFromJob(job: Job<RunJobData>): Promise<void> {
    const status = statusOfJobState(await job.getState());
    if (status === 'final') {
      await this.loadRecord(job.data.name, job.data.id);
      return;
    }
    if (status !== 'queued' && status !== 'running') return;
    this.deps.index.upsert(summarize(viewOfJob(job, { status, attemptErrors: [] })));
  }

  /** @returns whether the run had a record. One pending in Redis is shown as `recording`. */
  private async loadRecord(name: string, id: string): Promise<boolean> {
    const record = await this.deps.store.readRecord(name, id);
    if (record) this.deps.index.upsert(summarize(record));
    else {
      const pending = await this.deps.pending.get(id);
      if (pending) this.deps.index.upsert(summarize(viewOfPending(pending)));
    }
    return record !== undefined;
  }
}
