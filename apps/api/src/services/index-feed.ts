import { EventEmitter } from 'node:events';
import type { Job, QueueEvents } from 'bullmq';
import { type RunJobData, RunProgress, isFinal } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import type { RunQueues } from '@modelrun/queue';
import { VolumeSync, type LoadResult, type RunIndex, type RunSummary, summarize } from '@modelrun/leaderboard';
import type { PendingOutcomes, RescoredCursor, RescoredRuns } from '@modelrun/run-control';
import type { RecordStore } from '@modelrun/store';
import { statusOfJobState, viewOfJob, viewOfPending } from './views';

const LIVE_STATES = ['active', 'waiting', 'prioritized', 'delayed'] as const;
const PAGE = 1_000;
/** Start-up scan threads: more than the cores, so a cold disk has several reads in flight. */
const LOAD_THREADS = 4;
/** The periodic rescan rewrites the index snapshot at most this often (shutdown always does). */
const SNAPSHOT_EVERY_MS = 5 * 60_000;

export interface FeedDeps {
  index: RunIndex;
  store: RecordStore;
  queues: RunQueues;
  /** One per queue of runs that can hold runs (the GPU queue's only when GPUs are on). */
  events: QueueEvents[];
  /** Finished runs whose records wait for the volume: shown as `recording` until written. */
  pending: PendingOutcomes;
  log: Logger;
  /** INDEX_SNAPSHOT: start from the index snapshot on the volume and keep it current. */
  snapshot?: boolean;
  /** Records re-scores rewrote (issue 19), read again on each rescan: a missed `completed` event costs no restart. */
  rescored?: Pick<RescoredRuns, 'latest' | 'after'>;
}

/**
 * The index feed: it writes into the API's index (RunIndex) all that the API learns from the
 * queue and the volume (RunsService adds only what this API itself just did: a run it queued, a
 * cancel it recorded; reading a run writes nothing). It keeps the index current without ever
 * rescanning on a request: the volume sync's load at start, then one record or job
 * at a time as queue events arrive, plus an occasional rescan that picks up anything an event
 * missed (the API was disconnected, say). The rescan lists only model folders that changed since
 * the last one (see RecordScanner).
 */
export class IndexFeed {
  private timer: NodeJS.Timeout | undefined;
  private rescanning: Promise<void> | undefined;
  /** The index's side that faces the volume: the start-up load, the rescans, the snapshot. */
  readonly sync: VolumeSync;
  /** Emits a run's id once its job has ended and the index has read its record. */
  private readonly settled = new EventEmitter();
  /** Runs this process is submitting right now: their submitter indexes them (see submitting). */
  private readonly inFlight = new Set<string>();
  /** Ends being applied now, so a run's event and a reader waiting on it share one read of its record. */
  private readonly ending = new Map<string, Promise<void>>();
  /** How far the re-scored records have been read (RescoredRuns); undefined: from the start. */
  private rescoredCursor: RescoredCursor | undefined;

  constructor(private readonly deps: FeedDeps) {
    this.sync = new VolumeSync({ layout: deps.store.layout, index: deps.index, log: deps.log, snapshot: deps.snapshot ?? false, threads: LOAD_THREADS });
    // One listener per client waiting on a run (GET /v1/runs/{id}?wait=): many are expected.
    this.settled.setMaxListeners(0);
  }

  /** Calls `listener` when the run's job ends (once). @returns a function that stops listening. */
  onSettled(runId: string, listener: () => void): () => void {
    this.settled.once(runId, listener);
    return () => this.settled.off(runId, listener);
  }

  /**
   * Marks a run this process is enqueuing until the returned function is called. Its `added` and
   * `waiting` events can arrive before the add's own reply (another connection); without the
   * mark each would cost a read of a job the submitter is about to index anyway (under load, for
   * about half the submissions: four Redis commands each).
   */
  submitting(runId: string): () => void {
    this.inFlight.add(runId);
    return () => this.inFlight.delete(runId);
  }

  /**
   * Fills the index (VolumeSync.load): from the snapshot, then checked against the volume in the
   * background (`sync.verified`), or from every record (read in threads: nothing is served yet).
   */
  async load(): Promise<LoadResult> {
    // Before the volume is read: a record rewritten during the load is read again by the first rescan.
    this.rescoredCursor = await this.deps.rescored?.latest().catch((err: Error) => {
      this.deps.log.warn('could not read where the re-scored records stand; the first rescan reads them all', errorFields(err));
      return undefined;
    });
    return this.sync.load();
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

  /** Follows one more queue's events too (a routed queue found after the start). */
  listenTo(events: QueueEvents): void {
    this.deps.events.push(events);
    this.listen(events);
  }

  private listen(events: QueueEvents): void {
    // An event says enough about a run the index already holds to update it in place; only a
    // run it has not seen (submitted through another API replica, say) costs a read of its job.
    // That keeps Redis round trips per submission at one (the add) instead of three.
    events.on('added', ({ jobId }) => this.known(jobId) || this.inFlight.has(jobId) || void this.refreshJob(jobId));
    events.on('waiting', ({ jobId }) => this.patch(jobId, 'queued') || this.inFlight.has(jobId) || void this.refreshJob(jobId));
    events.on('active', ({ jobId }) => this.patch(jobId, 'running') || void this.refreshJob(jobId));
    events.on('progress', ({ jobId, data }) => this.patch(jobId, 'running', data) || void this.refreshJob(jobId));
    events.on('stalled', ({ jobId }) => void this.refreshJob(jobId));
    events.on('completed', ({ jobId }) => void this.settle(jobId));
    events.on('failed', ({ jobId }) => void this.settle(jobId));
    events.on('removed', ({ jobId }) => this.deps.index.removeLive(jobId));
    events.on('error', (err) => this.deps.log.warn('queue events error', errorFields(err)));
  }

  /** Stops the rescans and leaves a current snapshot for the next start. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sync.saveSnapshot();
  }

  /** Picks up records the events did not bring, and settles live entries whose job has ended. */
  rescan(): Promise<void> {
    if (this.rescanning) return this.rescanning;
    this.rescanning = (async () => {
      await this.sync.rescan();
      await this.reloadRescored();
      await this.seedLive();
      await this.sync.saveSnapshot(SNAPSHOT_EVERY_MS);
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
    // The `waiting` event of a run its submitter has just indexed as queued says nothing new; an
    // upsert would move the index's version and throw away every cached page of GET /v1/models.
    if (status === 'queued' && known.status === 'queued' && known.phase === undefined && known.startedAt === undefined) return true;
    const { phase: _phase, startedAt: _startedAt, ...rest } = known;
    const next: RunSummary = { ...rest, status };
    const parsed = RunProgress.safeParse(progress);
    const facts = parsed.success ? parsed.data : status === 'running' ? known : undefined;
    if (status === 'running' && facts?.phase) next.phase = facts.phase;
    if (status === 'running' && facts?.startedAt) next.startedAt = facts.startedAt;
    this.deps.index.upsert(next);
    return true;
  }

  /**
   * Applies a run's end to the index now, unless the index already shows it ended. RunsService.get
   * awaits this before it reports a run finished: the run's `completed` or `failed` event reaches
   * this feed a moment after the job ends (another connection's stream read), so a client that saw
   * the run finished and then listed the models would otherwise get the list from before the end.
   * The index is still written here only, by the same read of the record the event makes.
   */
  async applyEnd(runId: string): Promise<void> {
    const known = this.deps.index.getRun(runId);
    if (known && isFinal(known.status)) return;
    await this.settle(runId);
  }

  /** A job ended: its record is on the volume (the worker writes it before completing the job). */
  private settle(jobId: string): Promise<void> {
    const running = this.ending.get(jobId);
    if (running) return running;
    const applied = this.applyEnded(jobId).finally(() => this.ending.delete(jobId));
    this.ending.set(jobId, applied);
    return applied;
  }

  private async applyEnded(jobId: string): Promise<void> {
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
      await Promise.all(
        pages
          .flat()
          .filter(Boolean)
          .map((job) => this.refreshFromJob(job)),
      );
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

  /**
   * Reads again the records re-scores rewrote since the last rescan: the volume's rescan reads
   * only records the index does not hold, and a re-score's `completed` event can be missed (the
   * events connection was away). A record read twice (the event and this) costs a read only.
   */
  private async reloadRescored(): Promise<void> {
    const rescored = this.deps.rescored;
    if (!rescored) return;
    try {
      for (;;) {
        const read = await rescored.after(this.rescoredCursor ?? '0-0');
        for (const runId of read.runIds) await this.reloadRun(runId);
        this.rescoredCursor = read.cursor;
        if (!read.more) return;
      }
    } catch (err) {
      // The rest of the rescan goes on; the next one reads from where this one stopped.
      this.deps.log.warn('could not read the re-scored records', errorFields(err));
    }
  }

  /** A run's record was replaced (a re-score, issue 19): the index reads it again. */
  async reloadRun(runId: string): Promise<void> {
    const known = this.deps.index.getRun(runId);
    if (!known) return;
    await this.loadRecord(known.name, runId).catch((err: unknown) => this.deps.log.debug('index refresh failed', { runId, ...errorFields(err) }));
  }
}
