import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import stableStringify from 'safe-stable-stringify';
import {
  type ImageAllowList,
  type LimitPolicy,
  type RunJobData,
  type RunView,
  type SubmitRunRequest,
  type Submitter,
  isFinal,
  newRunId,
  quotaScope,
  quotasIn,
  viewOfRecord,
} from '@modelrun/contracts';
import type { Benchmarks } from '@modelrun/config';
import { type HostFacts, NotReplicatedError, type RetryPolicy, type RunQueues, waitingFor } from '@modelrun/queue';
import type { PendingOutcomes, QuotaLedger, RunControl } from '@modelrun/run-control';
import { type RunIndex, summarize } from '@modelrun/leaderboard';
import type { RecordStore } from '@modelrun/store';
import { IdempotencyConflict, ImageNotAllowed, QueueUnavailable, RunAlreadyEnded, RunNotFound, viaRedis } from './errors';
import { admitLimits, reserveQuota } from './benchmark-admission';
import type { Rerun } from './rerun';
import { RunEnqueuer } from './enqueue-run';
import { admitRequirements } from './run-requirements';
import { admitPhase } from './phase-admission';
import { statusOfJobState, viewOfJob, viewOfPending } from './views';

export interface RunsServiceDeps {
  queues: RunQueues;
  control: RunControl;
  /** Finished runs whose records wait for the volume. */
  pending: PendingOutcomes;
  store: RecordStore;
  index: RunIndex;
  limits: LimitPolicy;
  /** The jobs' retries, for the default enqueuer (a given one has its own). */
  retry: RetryPolicy;
  allowedImages: ImageAllowList;
  /** The operator's benchmarks (BENCHMARKS_FILE); empty: only self-scored runs. */
  benchmarks?: Benchmarks;
  /** Benchmark quotas, shared by every API replica through Redis. */
  quotas?: QuotaLedger;
  /**
   * Adds the runs' jobs, sharing each queue fairly among submitters and batching concurrent
   * submissions (./enqueue-run.ts); one per process. Default: one without fair share (runs wait in order).
   */
  enqueuer?: RunEnqueuer;
  /**
   * Resolves once Redis replicas hold every write made so far (REDIS_WAIT_REPLICAS), or throws
   * NotReplicatedError; absent, a write the primary acknowledged is taken as stored.
   */
  confirmWrites?: () => Promise<void>;
  /** Subscribes to a run's end (the index feed); returns an unsubscribe function. */
  onSettled?: (runId: string, listener: () => void) => () => void;
  /** Tells the index feed a run is being enqueued here (IndexFeed.submitting); returns the end of that. */
  submitting?: (runId: string) => () => void;
  /**
   * Has the index feed apply a run's end (IndexFeed.applyEnd) before `get` reports it finished, so
   * a list read after that includes it. `get` itself never writes the index.
   */
  applyEnd?: (runId: string) => Promise<void>;
  /** Label keys a submission may require of its host (RUN_ALLOWED_LABELS); none when unset. */
  allowedLabels?: readonly string[];
  /** The fleet's hosts (the fleet registry), to say why a queued run no host can take waits. */
  hosts?: () => Promise<HostFacts[]>;
}

export interface Submission {
  run: RunView;
  /** True when an Idempotency-Key matched an earlier request: this is that request's run. */
  replayed: boolean;
}

/** How long a request with a key already in use waits for the first one to finish enqueuing. */
const IDEMPOTENCY_WAIT_MS = 2_000;

/** Submitting, reading and cancelling runs. HTTP-free: it throws the domain errors of ./errors.ts. */
export class RunsService {
  private readonly enqueuer: RunEnqueuer;

  constructor(private readonly deps: RunsServiceDeps) {
    this.enqueuer = deps.enqueuer ?? new RunEnqueuer({ retry: deps.retry });
  }

  /**
   * @param principal what idempotency keys are kept per (the caller's key, see Request.principal)
   * @param submitter who submits: kept with the run, and whose (or whose team's) quota it counts against
   * @param rerun a re-run of an earlier run (./rerun.ts): its limits, counted against no quota
   */
  async submit(req: SubmitRunRequest, principal: string, idempotencyKey?: string, submitter?: Submitter, rerun?: Rerun): Promise<Submission> {
    const { deps } = this;
    if (!deps.allowedImages.allows(req.image)) {
      throw new ImageNotAllowed(req.image, deps.allowedImages.sources);
    }
    const { limits, benchmark } = admitLimits(req, deps.benchmarks ?? new Map(), deps.limits);
    const now = new Date();
    // The open phase, if the benchmark has phases: its quotas, and (in the worker) its evaluator.
    const phase = benchmark && admitPhase(benchmark, now.getTime());
    const caller = quotaHolder(benchmark && quotasIn(benchmark, phase).per, submitter, principal);
    const requires = admitRequirements(req, benchmark, deps.allowedLabels ?? []);
    const data: RunJobData = {
      id: newRunId(),
      name: req.name,
      image: req.image,
      limits: rerun?.limits ?? limits,
      createdAt: now.toISOString(),
      // A re-run has no caller: the worker gives back no quota it never took.
      ...(benchmark && { benchmark: benchmark.name, ...(!rerun && { caller }) }),
      ...(submitter && { submittedBy: submitter }),
      ...(rerun && { rerunOf: rerun.of, requestedBy: rerun.requestedBy }),
      ...(requires.length > 0 && { requires }),
      ...(phase && { benchmarkPhase: phase.name }),
    };

    let keyHash: string | undefined;
    if (idempotencyKey !== undefined) {
      keyHash = sha256(`${principal}\n${idempotencyKey}`);
      const requestHash = sha256(canonicalJson({ image: req.image, name: req.name, limits: req.limits ?? {}, benchmark: req.benchmark, requires: req.requires, priority: req.priority }));
      const prior = await this.claim(keyHash, data.id, requestHash);
      if (prior) {
        await this.confirmed('queued');
        return { run: prior, replayed: true };
      }
    }
    const run: RunView = {
      id: data.id,
      name: data.name,
      image: data.image,
      ...(data.benchmark && { benchmark: data.benchmark }),
      ...(submitter && { submittedBy: submitter }),
      ...(rerun && { rerunOf: rerun.of, requestedBy: rerun.requestedBy }),
      status: 'queued',
      limits: data.limits,
      createdAt: data.createdAt,
      ...(data.requires && { requires: data.requires }),
      ...(data.benchmarkPhase && { benchmarkPhase: data.benchmarkPhase }),
    };
    const submitted = deps.submitting?.(data.id);
    try {
      try {
        if (benchmark && deps.quotas && !rerun) await reserveQuota(deps.quotas, benchmark, caller, data.id, now.getTime(), phase);
        await viaRedis(async () => this.enqueuer.enqueue(await deps.queues.routeFor(data), data, { share: caller, level: req.priority ?? benchmark?.priority, rerun: rerun !== undefined }));
      } catch (err) {
        if (keyHash) await deps.control.releaseIdempotencyKey(keyHash, data.id).catch(() => undefined);
        if (benchmark && deps.quotas && !rerun) await deps.quotas.release(quotaScope(benchmark.name, phase?.name), caller, data.id, false).catch(() => undefined);
        throw err;
      }
      // The run is queued now (its key, if any, stays claimed: a retry with it finds this run).
      deps.index.upsert(summarize(run));
    } finally {
      submitted?.();
    }
    await this.confirmed('queued');
    return { run, replayed: false };
  }

  /** @returns the earlier run for this key, or undefined when the key is now ours. */
  private async claim(keyHash: string, runId: string, requestHash: string): Promise<RunView | undefined> {
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const prior = await viaRedis(() => this.deps.control.claimIdempotencyKey(keyHash, { runId, requestHash }));
      if (!prior) return undefined;
      if (prior.requestHash !== requestHash) {
        throw new IdempotencyConflict('different_request');
      }
      const run = await this.get(prior.runId);
      if (run) return run;
      // The first request holds the key but has not enqueued yet (or gave up and released it).
      if (Date.now() > deadline) throw new IdempotencyConflict('in_progress');
      await sleep(50);
    }
  }

  /**
   * @returns the run, live from the queue or finished from the volume; undefined if unknown. Reads
   * only: the index feed keeps the index, and has applied a run's end before this reports it.
   */
  async get(id: string): Promise<RunView | undefined> {
    const { deps } = this;
    const known = deps.index.getRun(id);
    if (known && isFinal(known.status)) {
      // A cancel shows as final before the worker has recorded it; then the queue still knows it.
      const record = await deps.store.readRecord(known.name, id);
      if (record) return viewOfRecord(record);
    }
    const job = await viaRedis(() => deps.queues.getJob(id));
    if (!job) return this.endedView(known?.name, id);
    const state = await viaRedis(() => job.getState());
    const status = statusOfJobState(state);
    if (status !== 'queued' && status !== 'running') {
      const view = await this.endedView(job.data.name, id);
      if (view) return view;
      if (state === 'failed') {
        // Failed without a record (its worker was lost); the worker's handler records it shortly.
        return {
          ...viewOfJob(job, { status: 'queued', attemptErrors: [] }),
          status: 'failed',
          reason: 'infrastructure',
          error: job.failedReason ?? 'the run was lost',
          ...(job.finishedOn && { finishedAt: new Date(job.finishedOn).toISOString() }),
        };
      }
      return undefined;
    }
    const [attemptErrors, cancelRequestedAt] = await viaRedis(() => Promise.all([deps.control.attemptErrors(id), deps.control.cancelRequestedAt(id)]));
    const waiting = status === 'queued' ? await this.waitingFor(job.data.requires) : undefined;
    const view = viewOfJob(job, { status, attemptErrors, ...(cancelRequestedAt && { cancelRequestedAt }), ...(waiting && { waitingFor: waiting }) });
    return view;
  }

  /**
   * Like `get`, but a live run is answered when it ends or after `waitMs`, whichever is first:
   * a client waiting for a result holds one request instead of polling.
   */
  async waitForEnd(id: string, waitMs: number): Promise<RunView | undefined> {
    let ended!: () => void;
    const endedOrTimeout = new Promise<void>((resolve) => {
      ended = resolve;
    });
    // Subscribe before reading, so an end between the two is not missed.
    const off = this.deps.onSettled?.(id, ended) ?? (() => undefined);
    const timer = setTimeout(ended, waitMs);
    try {
      const now = await this.get(id);
      if (!now || isFinal(now.status) || !this.deps.onSettled) return now;
      await endedOrTimeout;
      return await this.get(id);
    } finally {
      clearTimeout(timer);
      off();
    }
  }

  /** Why a queued run with these requirements waits, when no live host can take it (computed on read, from the fleet registry). */
  private async waitingFor(requires: readonly string[] | undefined): Promise<string | undefined> {
    if (!requires?.length || !this.deps.hosts) return undefined;
    return waitingFor(requires, await viaRedis(() => this.deps.hosts!()));
  }

  /** A 202 promises the write survives a failover: with REDIS_WAIT_REPLICAS, only once replicas have it. */
  private async confirmed(what: 'queued' | 'cancel'): Promise<void> {
    const confirm = this.deps.confirmWrites;
    if (!confirm) return;
    await viaRedis(() =>
      confirm().catch((err: unknown) => {
        if (!(err instanceof NotReplicatedError)) throw err;
        throw new QueueUnavailable(
          err.message,
          what === 'queued'
            ? 'the run was queued, but no Redis replica confirmed it in time, so a failover could lose it; submit again with the same Idempotency-Key to get this run, or without one to queue a new run'
            : 'the cancel was recorded, but no Redis replica confirmed it in time, so a failover could lose it; send it again',
        );
      }),
    );
  }

  /** A run whose job has ended (or is gone): from its record, or its outcome pending in Redis. */
  private async endedView(name: string | undefined, id: string): Promise<RunView | undefined> {
    const record = name ? await this.deps.store.readRecord(name, id) : undefined;
    const pending = record ? undefined : await viaRedis(() => this.deps.pending.get(id));
    const view = record ? viewOfRecord(record) : pending ? viewOfPending(pending) : undefined;
    if (view) await this.deps.applyEnd?.(id);
    return view;
  }

  /** Cancels a queued or running run; a finished one is RunAlreadyEnded, an unknown one RunNotFound. */
  async cancel(id: string): Promise<RunView> {
    const run = await this.get(id);
    if (!run) throw new RunNotFound(id);
    if (isFinal(run.status)) throw new RunAlreadyEnded(id, run.status);
    const at = new Date();
    await viaRedis(() => this.deps.control.requestCancel(id, at));
    await this.confirmed('cancel');
    const cancelled: RunView = { ...run, status: 'cancelled', reason: 'cancelled', error: 'the run was cancelled', finishedAt: at.toISOString() };
    delete cancelled.phase;
    delete cancelled.pull;
    this.deps.index.upsert(summarize(cancelled));
    return cancelled;
  }
}

/**
 * Whose quota a benchmark run counts against: the submitter's team when the benchmark counts
 * per team (a user without a team counts alone), else the submitter; without users, the caller.
 */
export function quotaHolder(per: 'user' | 'team' | undefined, submitter: Submitter | undefined, principal: string): string {
  if (!submitter) return principal;
  if (per === 'team' && submitter.team) return `team:${submitter.team}`;
  return `user:${submitter.user}`;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** JSON with sorted keys (undefined members left out), so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return stableStringify(value) ?? '';
}
