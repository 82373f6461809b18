import { type Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type BenchmarkDefinition,
  DEFAULT_RUN_PRIORITY,
  RESCORE_JOB,
  RESCORE_QUEUE,
  type RescoreJobData,
  type RescoreProgress,
  type RunView,
  newRunId,
  rerunPriority,
  rescoreJobId,
} from '@modelrun/contracts';
import type { RunIndex } from '@modelrun/leaderboard';
import type { RescoreProgressStore } from '@modelrun/run-control';
import type { ResultsStore } from '@modelrun/store';
import { Conflict, InvalidRequest, NotFound, viaRedis } from './errors';

/** A re-score's tries: an infrastructure fault (the engine, the volume) is retried, then the run counts as failed. */
const RESCORE_ATTEMPTS = 3;

export interface RescoreDeps {
  queue: Queue<RescoreJobData>;
  progress: RescoreProgressStore;
  results: ResultsStore;
  index: RunIndex;
  benchmarks: ReadonlyMap<string, BenchmarkDefinition>;
}

/** A run a re-score may take: a benchmark run that was scored. */
interface Target {
  id: string;
  name: string;
  benchmark: string;
}

/**
 * Re-scoring (issue 19): the benchmark's current evaluator again on runs' kept predictions, by
 * the workers (apps/worker/src/rescore.ts), one job per run with a deterministic id
 * (`rescore:<rescoreId>:<runId>`), below submissions' priority and outside every quota. A run
 * without kept predictions is counted as skipped at once. Progress is kept in Redis
 * (RescoreProgressStore).
 */
export class RescoreService {
  constructor(private readonly deps: RescoreDeps) {}

  /** Re-scores one finished, scored benchmark run. */
  async rescoreRun(run: RunView, requestedBy: string): Promise<RescoreProgress> {
    if (!run.benchmark || run.status !== 'succeeded') throw new Conflict(`run ${run.id} is not a scored benchmark run: only those can be re-scored`);
    const benchmark = this.benchmark(run.benchmark);
    return this.start(benchmark, undefined, [{ id: run.id, name: run.name, benchmark: benchmark.name }], requestedBy);
  }

  /** Re-scores every scored run of a benchmark, or of one of its phases. */
  async rescoreBenchmark(name: string, phase: string | undefined, requestedBy: string): Promise<RescoreProgress> {
    const benchmark = this.benchmark(name);
    if (phase !== undefined && !benchmark.phases?.some((p) => p.name === phase)) throw new InvalidRequest(`benchmark ${name} has no phase ${JSON.stringify(phase)}`);
    // The index's list of the benchmark's (or the phase's) runs: its runs, not every model's, and no record read.
    const targets: Target[] = [];
    for (const run of this.deps.index.benchmarkRuns(name, phase)) {
      if (run.status === 'succeeded') targets.push({ id: run.id, name: run.name, benchmark: name });
    }
    return this.start(benchmark, phase, targets, requestedBy);
  }

  async get(id: string): Promise<RescoreProgress> {
    const progress = await viaRedis(() => this.deps.progress.get(id));
    if (!progress) throw new NotFound(`no re-score with id ${id}`);
    return progress;
  }

  private benchmark(name: string): BenchmarkDefinition {
    const benchmark = this.deps.benchmarks.get(name);
    if (!benchmark) throw new NotFound(`no benchmark named ${JSON.stringify(name)}`);
    return benchmark;
  }

  private async start(benchmark: BenchmarkDefinition, phase: string | undefined, targets: Target[], requestedBy: string): Promise<RescoreProgress> {
    const id = newRunId();
    const kept = await Promise.all(targets.map(async (t) => (await this.deps.results.predictionsBytes(t.name, t.id)) !== undefined));
    const skipped = targets.filter((_, i) => !kept[i]).map((t) => t.id);
    const queued = targets.filter((_, i) => kept[i]);
    const createdAt = new Date().toISOString();
    await viaRedis(() => this.deps.progress.start({ id, benchmark: benchmark.name, ...(phase && { phase }), requestedBy, createdAt, total: targets.length, skipped, queued: queued.map((t) => t.id) }));
    // BullMQ's own priority within the re-score queue: a re-score waits where a re-run of the run would.
    const priority = rerunPriority(benchmark.priority ?? DEFAULT_RUN_PRIORITY);
    await viaRedis(() =>
      this.deps.queue.addBulk(
        queued.map((t) => ({
          name: RESCORE_JOB,
          data: { rescoreId: id, runId: t.id, name: t.name, benchmark: t.benchmark },
          opts: { jobId: rescoreJobId(id, t.id), priority, attempts: RESCORE_ATTEMPTS, backoff: { type: 'exponential', delay: 2_000 }, removeOnComplete: 1_000, removeOnFail: 1_000 },
        })),
      ),
    );
    return this.get(id);
  }
}

/**
 * The re-score queue's events for the API's index: a re-scored record replaced on the volume is
 * read again when its job completes, so boards rank by the latest score. Its own connection
 * (QueueEvents blocks).
 */
export function followRescores(connection: Redis, prefix: string, reload: (runId: string) => void, onError: (err: Error) => void): QueueEvents {
  const events = new QueueEvents(RESCORE_QUEUE, { connection, prefix });
  events.on('error', onError);
  events.on('completed', ({ jobId }) => {
    const runId = jobId.split(':')[2];
    if (runId) reload(runId);
  });
  return events;
}
