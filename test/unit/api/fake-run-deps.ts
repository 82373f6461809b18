import type { AttemptError, RunJobData, RunRecord } from '@modelrun/contracts';
import { ImageAllowList } from '@modelrun/contracts';
import { RunIndex } from '@modelrun/leaderboard';
import type { RunQueue, RunQueues } from '@modelrun/queue';
import type { IdempotencyClaim, PendingOutcome, PendingOutcomes, RunControl } from '@modelrun/run-control';
import type { RecordStore } from '@modelrun/store';
import type { RunsServiceDeps } from '../../../apps/api/src/services/runs-service';

/** A job as RunsService reads it: its data, its BullMQ state and what the worker reported. */
export interface FakeJob {
  data: RunJobData;
  state: string;
  attemptsStarted: number;
  progress: unknown;
  finishedOn?: number;
  failedReason?: string;
  /** What the job was added with; BullMQ jobs always carry their opts (the view reads `attempts`). */
  opts: { attempts?: number };
  /** The backoff BullMQ keeps as the job's delay after a failed try; 0 before any. */
  delay: number;
  getState(): Promise<string>;
}

/**
 * In-memory stand-ins for the queue, the run control and the volume, for unit tests of
 * RunsService's rules (the integration tests run it on real Redis and files). `down` makes
 * every Redis-backed call fail, as an unreachable Redis does.
 */
export class FakeRunWorld {
  down = false;
  readonly jobs = new Map<string, FakeJob>();
  readonly added: { name: string; data: RunJobData; jobId?: string; attempts?: number }[] = [];
  readonly claims = new Map<string, IdempotencyClaim>();
  readonly released: string[] = [];
  readonly cancels = new Map<string, string>();
  readonly attemptErrors = new Map<string, AttemptError[]>();
  readonly records = new Map<string, RunRecord>();
  /** Finished runs whose records wait for the volume. */
  readonly pendings = new Map<string, PendingOutcome>();
  readonly index = new RunIndex();

  private redis<T>(value: () => T): Promise<T> {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) : Promise.resolve(value());
  }

  queue(): RunQueue {
    const fake = {
      add: (name: string, data: RunJobData, opts: { jobId?: string; attempts?: number }) =>
        this.redis(() => {
          this.added.push({ name, data, ...(opts.jobId && { jobId: opts.jobId }), ...(opts.attempts && { attempts: opts.attempts }) });
          this.setJob(data, 'waiting', { opts: { ...(opts.attempts && { attempts: opts.attempts }) } });
          return this.jobs.get(data.id);
        }),
      getJob: (id: string) => this.redis(() => this.jobs.get(id)),
    };
    return fake as unknown as RunQueue;
  }

  /** Both queues of runs as one in-memory queue (which of the two a run is in does not matter here). */
  queues(queue: RunQueue = this.queue()): RunQueues {
    const fake = { for: () => queue, routeFor: () => Promise.resolve(queue), getJob: (id: string) => queue.getJob(id), all: [queue] };
    return fake as unknown as RunQueues;
  }

  control(): RunControl {
    const fake = {
      claimIdempotencyKey: (key: string, claim: IdempotencyClaim) =>
        this.redis(() => {
          const prior = this.claims.get(key);
          if (!prior) this.claims.set(key, claim);
          return prior;
        }),
      releaseIdempotencyKey: (key: string, runId: string) =>
        this.redis(() => {
          if (this.claims.get(key)?.runId === runId) this.claims.delete(key);
          this.released.push(key);
        }),
      attemptErrors: (id: string) => this.redis(() => this.attemptErrors.get(id) ?? []),
      cancelRequestedAt: (id: string) => this.redis(() => this.cancels.get(id)),
      requestCancel: (id: string, at: Date) =>
        this.redis(() => {
          this.cancels.set(id, at.toISOString());
          return true;
        }),
    };
    return fake as unknown as RunControl;
  }

  pending(): PendingOutcomes {
    const fake = { get: (id: string) => this.redis(() => this.pendings.get(id)) };
    return fake as unknown as PendingOutcomes;
  }

  store(): RecordStore {
    const fake = { readRecord: async (name: string, id: string) => (this.records.get(id)?.name === name ? this.records.get(id) : undefined) };
    return fake as unknown as RecordStore;
  }

  /** Puts a job in the queue in `state` (waiting, active, delayed, completed, failed); a job already there keeps its opts. */
  setJob(data: RunJobData, state: string, extra: Partial<FakeJob> = {}): void {
    const opts = this.jobs.get(data.id)?.opts ?? {};
    const job: FakeJob = { data, state, attemptsStarted: 0, progress: 0, opts, delay: 0, ...extra, getState: async () => job.state };
    this.jobs.set(data.id, job);
  }

  deps(extra: Partial<RunsServiceDeps> = {}): RunsServiceDeps {
    return {
      queues: this.queues(),
      control: this.control(),
      pending: this.pending(),
      store: this.store(),
      index: this.index,
      limits: {
        defaults: { timeoutSeconds: 600, memoryMb: 1024, cpus: 1, gpus: 0 },
        ceilings: { timeoutSeconds: 3600, memoryMb: 8192, cpus: 4, gpus: 0 },
      },
      retry: { attempts: 3, backoffMs: 1000 },
      allowedImages: new ImageAllowList([]),
      ...extra,
    };
  }
}
