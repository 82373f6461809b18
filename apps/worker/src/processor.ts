import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import { type AppliedLimits, type ImageAllowList, type LimitPolicy, type RunJobData, type RunPhase, type RunProgress, type RunRecord, RunJobData as RunJobDataSchema } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import type { RunControl } from '@modelrun/queue';
import { type CollectedLogs, type ContainerHandle, type ExitInfo, HandedBackError, type ModelRunner, ModelFault, type Outcome, classify } from '@modelrun/runner';
import type { RecordStore } from '@modelrun/store';
import { pumpLiveLogs } from './live-logs';
import { buildRecord, failure } from './record';

/** What a finished job returns to BullMQ (and so to QueueEvents listeners such as the API). */
export interface RunResult {
  id: string;
  name: string;
  status: RunRecord['status'];
  score?: number;
}

/** Hooks for metrics; every one optional. */
export interface RunObserver {
  picked?(run: RunJobData, queuedMs: number): void;
  activeChanged?(delta: 1 | -1): void;
  containerStarted?(ms: number): void;
  adopted?(): void;
  retried?(): void;
  finished?(record: RunRecord): void;
}

export interface ProcessorDeps {
  runner: ModelRunner;
  store: RecordStore;
  control: RunControl;
  log: Logger;
  allowedImages: ImageAllowList;
  /** This worker's own ceilings: a job asking for more is held to them. */
  limits: LimitPolicy;
  /** Aborted when the worker stops waiting for running runs at shutdown. */
  handback: AbortSignal;
  /** How much of a run's output is kept (RUN_LOG_MAX_KB). */
  logMaxBytes: number;
  /** How often a running run checks whether it was cancelled (default 1000 ms). */
  cancelPollMs?: number;
  observer?: RunObserver;
}

/**
 * The life of one run, start to record. BullMQ may deliver a run more than once; each step
 * is safe to repeat: an existing record ends the job, an existing container is adopted, and
 * the record is written at most once.
 */
export function createRunProcessor(deps: ProcessorDeps) {
  const { runner, store, control } = deps;
  const pending = new Set<Promise<void>>();

  async function processRun(job: Job<RunJobData>, token?: string): Promise<RunResult> {
    const parsed = RunJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? ''}`);
    const run = parsed.data;
    const attempt = job.attemptsMade + 1;
    const log = deps.log.child({ runId: run.id, model: run.name, attempt });
    const limits = clampLimits(run.limits, deps.limits);

    const existing = await store.readRecord(run.name, run.id);
    if (existing) {
      log.info('run already recorded; finishing the job', { status: existing.status });
      cleanUpLater(run.id, undefined, log);
      return conclude(existing);
    }
    if (attempt === 1 && job.attemptsStarted <= 1) deps.observer?.picked?.(run, Date.now() - Date.parse(run.createdAt));

    const record = (outcome: Outcome, times: { startedAt?: string; finishedAt?: string }, logBytes?: number) =>
      persist(run, limits, outcome, { ...times, finishedAt: times.finishedAt ?? new Date().toISOString() }, attempt, log, logBytes);

    if (!deps.allowedImages.allows(run.image)) {
      return conclude(await record(failure('image_not_found', `image ${run.image} is not allowed on this worker (ALLOWED_IMAGES)`), {}));
    }
    const cancelledAt = await control.cancelRequestedAt(run.id);
    if (cancelledAt) {
      log.info('run was cancelled before it started');
      cleanUpLater(run.id, undefined, log);
      return conclude(await record(failure('cancelled', 'the run was cancelled before it started'), { finishedAt: cancelledAt }));
    }

    // Progress is for watchers; a run does not wait on it. Updates go out in order on one connection.
    const progress = (phase: RunPhase, extra: Omit<RunProgress, 'phase'> = {}): void => {
      job.updateProgress({ phase, ...extra }).catch((err: Error) => log.debug('progress update failed', { phase, error: err.message }));
    };
    const cancel = new AbortController();
    const poll = setInterval(() => {
      control.cancelRequestedAt(run.id).then(
        (at) => at && cancel.abort(),
        () => undefined,
      );
    }, deps.cancelPollMs ?? 1_000);
    let handle: ContainerHandle | undefined;
    let final: RunRecord;
    try {
      progress('pulling');
      log.info('preparing container', { image: run.image });
      // A first delivery cannot have a container yet: skip looking (create still adopts on 409).
      const firstDelivery = job.attemptsStarted <= 1 && job.stalledCounter === 0;
      handle = await runner.prepare({ runId: run.id, name: run.name, image: run.image, limits }, () => progress('starting'), { firstDelivery });
      if (handle.adopted) {
        log.info('adopted the run\'s existing container', { containerId: handle.id, state: handle.state });
        deps.observer?.adopted?.();
      }
      const startClock = Date.now();
      handle = await runner.start(handle);
      if (!handle.adopted) deps.observer?.containerStarted?.(Date.now() - startClock);
      progress('running', { ...(handle.startedAt && { startedAt: handle.startedAt }), containerId: handle.id });
      log.info('container running', { containerId: handle.id });
      const stopPump = pumpLiveLogs(runner, control, handle, deps.logMaxBytes, log);
      let exit: ExitInfo;
      let followed: CollectedLogs | undefined;
      try {
        exit = await runner.wait(handle, limits, { cancel: cancel.signal, handback: deps.handback });
      } finally {
        followed = await stopPump();
      }
      log.info('container stopped', { exitCode: exit.exitCode, oomKilled: exit.oomKilled, timedOut: exit.timedOut, cancelled: exit.cancelled });
      progress('collecting', { ...(handle.startedAt && { startedAt: handle.startedAt }) });
      const readOutput = !exit.cancelled && !exit.timedOut && !exit.oomKilled && exit.exitCode === 0;
      // The follower saw the whole output unless it broke off; only then ask the engine again.
      const [output, logs] = await Promise.all([readOutput ? runner.collect(handle) : undefined, followed ?? runner.logs(handle)]);
      const outcome = classify(exit, output, limits);
      const times = { startedAt: exit.startedAt ?? handle.startedAt, finishedAt: exit.finishedAt };
      [, final] = await Promise.all([store.writeLog(run.name, run.id, logs.bytes), record(outcome, times, logs.bytes.length)]);
      cleanUpLater(run.id, handle, log);
    } catch (err) {
      if (err instanceof HandedBackError) {
        log.info('worker shutting down: run handed back, container left running for adoption');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (err instanceof ModelFault) {
        log.info('run failed before it could run', { reason: err.reason, error: err.message });
        final = await record(failure(err.reason, err.message), {});
        cleanUpLater(run.id, handle, log);
      } else {
        final = await retryOrGiveUp(job, run, limits, attempt, err, handle, log);
      }
    } finally {
      clearInterval(poll);
    }
    // Outside the try: concluding a failed run throws, and that must not count as a fault.
    return conclude(final);
  }

  /** Resolves when every background cleanup has finished (for shutdown). */
  async function drain(): Promise<void> {
    while (pending.size) await Promise.all([...pending]);
  }

  return Object.assign(processRun, { drain });

  async function retryOrGiveUp(
    job: Job<RunJobData>,
    run: RunJobData,
    limits: AppliedLimits,
    attempt: number,
    err: unknown,
    handle: ContainerHandle | undefined,
    log: Logger,
  ): Promise<RunRecord> {
    const message = (err as Error)?.message ?? String(err);
    await control.recordAttemptError(run.id, { attempt, at: new Date().toISOString(), message }).catch(() => undefined);
    const attempts = job.opts.attempts ?? 1;
    if (attempt < attempts) {
      // The container, if any, is kept: the retry adopts it rather than starting the model again.
      log.warn('infrastructure fault; the run will be retried', { ...errorFields(err), attemptsLeft: attempts - attempt });
      deps.observer?.retried?.();
      throw err;
    }
    log.error('infrastructure fault on the last attempt; the run fails', errorFields(err));
    const final = await persist(
      run,
      limits,
      failure('infrastructure', `the platform failed to run the model after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${message}`),
      { finishedAt: new Date().toISOString() },
      attempt,
      log,
    );
    cleanUpLater(run.id, handle, log);
    return final;
  }

  async function persist(
    run: RunJobData,
    limits: AppliedLimits,
    outcome: Outcome,
    times: { startedAt?: string; finishedAt: string },
    attempt: number,
    log: Logger,
    logBytes?: number,
  ): Promise<RunRecord> {
    // Errors are kept per failed attempt: a first attempt has none to read.
    const attemptErrors = attempt > 1 ? await control.attemptErrors(run.id) : [];
    const rec = buildRecord(run, limits, outcome, times, attempt, attemptErrors, logBytes);
    const written = await store.writeRecord(rec);
    if (!written) {
      // Another delivery recorded this run first: its record stands, this one is dropped.
      log.warn('run was already recorded by another delivery; keeping that record');
      const onDisk = await store.readRecord(run.name, run.id);
      if (onDisk) return onDisk;
    }
    log.info('run recorded', { status: rec.status, reason: rec.reason, score: rec.score, exitCode: rec.exitCode, durationMs: rec.durationMs });
    deps.observer?.finished?.(rec);
    return rec;
  }

  /**
   * Removes the run's container and side state after its record is written, without holding
   * up the job's completion (the run is visible as finished as soon as it is recorded).
   * The reconciler removes anything a crash leaves; shutdown waits for these.
   */
  function cleanUpLater(runId: string, handle: ContainerHandle | undefined, log: Logger): void {
    const done = cleanUp(runId, handle, log).finally(() => pending.delete(done));
    pending.add(done);
  }

  async function cleanUp(runId: string, handle: ContainerHandle | undefined, log: Logger): Promise<void> {
    try {
      if (handle) await runner.remove(handle);
      else await runner.removeRun(runId);
      await control.clear(runId);
    } catch (err) {
      // The reconciler removes whatever is left; the run itself is already recorded.
      log.warn('cleanup after the run failed', errorFields(err));
    }
  }
}

/** Succeeded runs complete the job; any other end fails it without a retry. */
function conclude(record: RunRecord): RunResult {
  if (record.status === 'succeeded') {
    return { id: record.id, name: record.name, status: record.status, ...(record.score !== undefined && { score: record.score }) };
  }
  throw new UnrecoverableError(`${record.reason ?? record.status}: ${record.error ?? ''}`);
}

function clampLimits(limits: AppliedLimits, policy: LimitPolicy): AppliedLimits {
  return {
    timeoutSeconds: Math.min(limits.timeoutSeconds, policy.ceilings.timeoutSeconds),
    memoryMb: Math.min(limits.memoryMb, policy.ceilings.memoryMb),
    cpus: Math.min(limits.cpus, policy.ceilings.cpus),
    gpus: Math.min(limits.gpus, policy.ceilings.gpus),
  };
}
