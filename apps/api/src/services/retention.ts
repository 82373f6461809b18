import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type BenchmarkDefinition, MODEL_NAME_PATTERN, RUN_ID_PATTERN, isFinal } from '@modelrun/contracts';
import type { RunIndex } from '@modelrun/leaderboard';
import { type Logger, errorFields } from '@modelrun/logger';
import { type BoardState, rescorePendingKey } from '@modelrun/run-control';
import type { VolumeLayout } from '@modelrun/store';
import { type KeptFile, PLAN_SLICE_MS, RETENTION_KINDS, type RetentionKind, type RetentionSettings, planRetention } from './retention-plan';
import { standingRuns } from './standing-runs';
import { TimeSlices } from './time-slices';

export interface RetentionDeps {
  redis: Redis;
  /** The deployment's name: the prefix of the lock's and the re-score set's keys. */
  deployment: string;
  layout: VolumeLayout;
  index: RunIndex;
  benchmarks: ReadonlyMap<string, BenchmarkDefinition>;
  boardState: BoardState;
  settings: RetentionSettings;
  /** How often a pass is due (RETENTION_CHECK_MINUTES), in ms: also how long a replica's lock lasts. */
  everyMs: number;
  registry: Registry;
  log: Logger;
  /** BullMQ's state of a run's job (RunQueues.getJobState; `unknown` when no queue has it). */
  jobState: (id: string) => Promise<string>;
  now?: () => number;
}

/** Job states of a run still live in the queue: a run with a record and such a job is not done with its files. */
const LIVE_JOB_STATES = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized']);
/** Job states read at once while checking the runs a plan would touch. */
const JOB_STATE_LANES = 16;

export interface PassResult {
  /** False when another replica holds the lock (or a pass of this one is still going). */
  ran: boolean;
  pruned: Record<RetentionKind, { files: number; bytes: number }>;
  kept: Record<RetentionKind, { files: number; bytes: number }>;
  ms: number;
}

/** The Redis set of run ids a re-score is pending for (RescoreProgressStore fills it): never pruned. */
export { rescorePendingKey };

export function retentionLockKey(deployment: string): string {
  return `${deployment}:retention:lock`;
}

/** Where each kind lives on the volume (VolumeLayout), and which file names in it are a run's. */
const PLACES: { kind: RetentionKind; dir: (l: VolumeLayout) => string; runId: (file: string) => string | undefined }[] = [
  { kind: 'records', dir: (l) => l.runsDir, runId: suffixed('.json') },
  { kind: 'logs', dir: (l) => l.logsDir, runId: (f) => suffixed('.evaluator.log')(f) ?? suffixed('.log')(f) },
  { kind: 'predictions', dir: (l) => join(l.root, 'predictions'), runId: suffixed('.tar') },
  { kind: 'details', dir: (l) => join(l.root, 'details'), runId: suffixed('.json') },
];

/**
 * The retention pass (issue 19): every RETENTION_CHECK_MINUTES, on one API replica at a time,
 * removes what the settings let go (planRetention) of records, logs, predictions and detailed
 * results, never what a board, a pending re-score or a live run still needs. It runs in the API
 * because the API holds the index, which knows every board's standing runs and which runs are
 * live; a worker would have to read every record to know as much. Replicas take turns through a
 * Redis lock that lasts one period, so each period one replica prunes, whichever comes first.
 */
export class RetentionPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PassResult> | undefined;
  private readonly token = randomBytes(8).toString('hex');
  private readonly now: () => number;
  private readonly keptBytes: Gauge<'kind'>;
  private readonly keptFiles: Gauge<'kind'>;
  private readonly prunedFiles: Counter<'kind'>;
  private readonly prunedBytes: Counter<'kind'>;
  private readonly passes: Counter;
  private readonly lastPass: Gauge;
  private readonly lastDuration: Gauge;

  constructor(private readonly deps: RetentionDeps) {
    this.now = deps.now ?? Date.now;
    const registers = [deps.registry];
    this.keptBytes = new Gauge({ name: 'modelrun_retention_kept_bytes', help: 'Bytes kept on the volume per kind at the last retention pass of this API', labelNames: ['kind'], registers });
    this.keptFiles = new Gauge({ name: 'modelrun_retention_kept_files', help: 'Files kept on the volume per kind at the last retention pass of this API', labelNames: ['kind'], registers });
    this.prunedFiles = new Counter({ name: 'modelrun_retention_pruned_files_total', help: 'Files removed by retention passes of this API, per kind', labelNames: ['kind'], registers });
    this.prunedBytes = new Counter({ name: 'modelrun_retention_pruned_bytes_total', help: 'Bytes removed by retention passes of this API, per kind', labelNames: ['kind'], registers });
    this.passes = new Counter({ name: 'modelrun_retention_passes_total', help: 'Retention passes this API ran (holding the lock)', registers });
    this.lastPass = new Gauge({ name: 'modelrun_retention_last_pass_timestamp_seconds', help: 'When the last retention pass of this API ended (0: none yet)', registers });
    this.lastDuration = new Gauge({ name: 'modelrun_retention_last_pass_duration_seconds', help: 'How long the last retention pass of this API took', registers });
    for (const kind of RETENTION_KINDS) {
      this.prunedFiles.inc({ kind }, 0);
      this.prunedBytes.inc({ kind }, 0);
    }
  }

  /** Passes from now on: the first soon after start-up, then every period. */
  start(firstAfterMs = 10_000): void {
    const tick = (): void => {
      void this.tick().catch((err: unknown) => this.deps.log.warn('retention pass failed; the next one tries again', errorFields(err)));
    };
    const first = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, this.deps.everyMs);
      this.timer.unref();
    }, firstAfterMs);
    first.unref();
    this.timer = first;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass if this replica gets the period's lock (and none of its own is still going). */
  async tick(): Promise<PassResult> {
    if (this.running) return { ...empty(), ran: false };
    const got = await this.deps.redis.set(retentionLockKey(this.deps.deployment), this.token, 'PX', this.deps.everyMs, 'NX');
    if (got !== 'OK') {
      this.deps.log.debug('retention pass skipped: another API replica holds this period', {});
      return { ...empty(), ran: false };
    }
    this.running = this.pass();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async pass(): Promise<PassResult> {
    const started = this.now();
    const { index, layout, log } = this.deps;
    const files = await listFiles(layout);
    // The loops over every file are sliced as the plan is (a million runs: seconds of the event loop in one go).
    const slices = new TimeSlices(PLAN_SLICE_MS);
    // Finished: the run has its record, and the index has read it (a record it has not read yet waits for the next pass).
    const finishedAt = new Map<string, number>();
    await slices.range(files.length, (lo, hi) => {
      for (let i = lo; i < hi; i++) {
        const f = files[i]!;
        if (f.kind !== 'records') continue;
        const run = index.getRun(f.runId);
        if (run && isFinal(run.status)) finishedAt.set(f.runId, Date.parse(run.finishedAt ?? run.createdAt));
      }
    });
    const protectedRuns = await this.protectedRuns();
    const input = { settings: this.deps.settings, files, finishedAt, protectedRuns, now: started };
    let plan = await planRetention(input);
    // Only the runs the plan touches are looked up in the queue: a job still live (a redelivery,
    // a re-run's) keeps its run whole; the plan is then made again without them.
    const live = await this.liveJobs([...new Set(plan.map((f) => f.runId))]);
    if (live.length) {
      for (const id of live) protectedRuns.add(id);
      plan = await planRetention(input);
    }
    const result: PassResult = { ...empty(), ran: true, ms: 0 };
    const removedPaths = new Set<string>();
    for (const f of plan) {
      if (f.kind === 'records' && !finishedAt.has(f.runId)) continue;
      try {
        await rm(f.path, { force: true });
      } catch (err) {
        // One file that cannot go (a read-only volume) stops its run's record from going too.
        log.warn('retention could not remove a file', { path: f.path, ...errorFields(err) });
        finishedAt.delete(f.runId);
        continue;
      }
      if (f.kind === 'records') {
        // This replica's index at once; the others' at their next rescan (VolumeSync drops a record gone from a listed folder).
        index.remove(f.runId);
      }
      removedPaths.add(f.path);
      result.pruned[f.kind].files++;
      result.pruned[f.kind].bytes += f.bytes;
      this.prunedFiles.inc({ kind: f.kind });
      this.prunedBytes.inc({ kind: f.kind }, f.bytes);
    }
    await slices.range(files.length, (lo, hi) => {
      for (let i = lo; i < hi; i++) {
        const f = files[i]!;
        if (removedPaths.has(f.path)) continue;
        result.kept[f.kind].files++;
        result.kept[f.kind].bytes += f.bytes;
      }
    });
    for (const kind of RETENTION_KINDS) {
      this.keptBytes.set({ kind }, result.kept[kind].bytes);
      this.keptFiles.set({ kind }, result.kept[kind].files);
    }
    result.ms = this.now() - started;
    this.passes.inc();
    this.lastPass.set(this.now() / 1000);
    this.lastDuration.set(result.ms / 1000);
    log.info('retention pass', { pruned: result.pruned, kept: result.kept, protected: protectedRuns.size, ms: result.ms });
    return result;
  }

  private async liveJobs(ids: string[]): Promise<string[]> {
    const live: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(JOB_STATE_LANES, ids.length) }, async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          if (LIVE_JOB_STATES.has(await this.deps.jobState(id))) live.push(id);
        }
      }),
    );
    return live;
  }

  /** Runs that keep everything: on a board, pending re-score, or live (in the index and not finished). */
  private async protectedRuns(): Promise<Set<string>> {
    const { redis, deployment, index, benchmarks, boardState } = this.deps;
    const selected = new Map<string, ReadonlySet<string>>();
    for (const name of benchmarks.keys()) selected.set(name, await boardState.selected(name));
    const protectedRuns = standingRuns(index, benchmarks.values(), selected);
    for (const id of await redis.smembers(rescorePendingKey(deployment))) protectedRuns.add(id);
    return protectedRuns;
  }
}

function empty(): PassResult {
  const zero = () => Object.fromEntries(RETENTION_KINDS.map((k) => [k, { files: 0, bytes: 0 }])) as PassResult['pruned'];
  return { ran: false, pruned: zero(), kept: zero(), ms: 0 };
}

function suffixed(suffix: string): (file: string) => string | undefined {
  return (file) => {
    if (!file.endsWith(suffix)) return undefined;
    const id = file.slice(0, -suffix.length);
    return RUN_ID_PATTERN.test(id) ? id : undefined;
  };
}

/** Every run file of the four kinds on the volume, with its size (temp files and strays are left alone). */
async function listFiles(layout: VolumeLayout): Promise<KeptFile[]> {
  const files: KeptFile[] = [];
  for (const place of PLACES) {
    const root = place.dir(layout);
    for (const model of await readdirOrEmpty(root)) {
      if (!MODEL_NAME_PATTERN.test(model)) continue;
      for (const file of await readdirOrEmpty(join(root, model))) {
        const runId = place.runId(file);
        if (runId === undefined) continue;
        const path = join(root, model, file);
        const info = await stat(path).catch(() => undefined);
        if (info?.isFile()) files.push({ kind: place.kind, model, runId, path, bytes: info.size });
      }
    }
  }
  return files;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}
