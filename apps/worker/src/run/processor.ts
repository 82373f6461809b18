import { DelayedError, type Job, UnrecoverableError, WaitingError } from 'bullmq';
import { type RunJobData, type RunRecord, RunJobData as RunJobDataSchema } from '@modelrun/contracts';
import { errorFields } from '@modelrun/logger';
import type { ContainerHandle, Outcome } from '@modelrun/runner';
import { Cleanups } from './cleanup';
import { collectResult } from './collect';
import { evaluate } from './evaluate';
import { type AdmittedRun, type GpuHold, type ProcessorDeps, type RunContext, type RunTimes, clampLimits } from './context';
import { runContainer, watchCancel } from './execute';
import { attemptsOf, decideFault, errorMessage, gaveUpMessage } from './faults';
import { claimRun, lostOwnership } from './own';
import { takeGpus } from './gpus';
import { prepareContainer } from './prepare';
import { progressWriter } from './progress';
import { failure, recordRun, releaseQuota } from './record';
import { OwnedElsewhereError } from '@modelrun/run-control';
import { ATTR, annotate, inSpan } from '@modelrun/telemetry';

export type { ProcessorDeps, RunObserver } from './context';

/** What a finished job returns to BullMQ (and so to QueueEvents listeners such as the API). */
export interface RunResult {
  id: string;
  name: string;
  status: RunRecord['status'];
  score?: number;
}

export interface RunProcessor {
  (job: Job<RunJobData>, token?: string): Promise<RunResult>;
  /** Resolves when every background clean-up has finished (for shutdown). */
  drain(): Promise<void>;
}

/**
 * The life of one run: admit → prepare (its container) → run → collect → record → clean up.
 * BullMQ may deliver a run more than once; each step is safe to repeat: an existing record
 * ends the job, an existing container is adopted, and the record is written at most once.
 * Each step below returns what the next one needs.
 */
export function createRunProcessor(deps: ProcessorDeps): RunProcessor {
  const cleanups = new Cleanups(deps.runner, deps.control, deps.ownership);

  async function processRun(job: Job<RunJobData>, token?: string): Promise<RunResult> {
    const ctx = deliveryOf(deps, job);
    // On BullMQ's span of the job (tracing on): which run, where, which try.
    annotate({ [ATTR.runId]: ctx.run.id, [ATTR.model]: ctx.run.name, [ATTR.image]: ctx.run.image, [ATTR.hostId]: deps.hostId, [ATTR.attempt]: ctx.attempt });
    let gpus: GpuHold | undefined;
    // Watched from before the flag is first read below, so no cancel falls between the two.
    const cancel = watchCancel(deps, ctx.run.id);
    try {
      await handBackIfRefusing(deps, ctx, token);
      const seen = await lookBeforeClaiming(deps, cleanups, ctx);
      if (seen.recorded) return conclude(seen.recorded);
      // A GPU run takes its devices first: a worker without enough free ones leaves it to another.
      gpus = await takeGpus(deps, ctx, token);
      // Before anything else: a run another live host owns goes back to it from here.
      const admitted: AdmittedRun = { ...ctx, claim: { owner: await claimRun(deps, ctx, token) }, ...(gpus && { gpuDevices: gpus.devices }) };
      if (ctx.attempt === 1 && job.attemptsStarted <= 1) deps.observer?.picked?.(ctx.run, Date.now() - Date.parse(ctx.run.createdAt));
      // Cancelled since the look: the flag says when.
      const cancelledAt = seen.cancelledAt ?? (cancel.signal.aborted ? await deps.control.cancelRequestedAt(ctx.run.id) : undefined);
      const refused = await refuseBeforeStart(deps, cleanups, admitted, cancelledAt);
      if (refused) return conclude(refused);
      // Outside runAndRecord's fault handling: concluding a failed run throws, and that must not count as a fault.
      return conclude(await runAndRecord(deps, cleanups, admitted, cancel.signal, token));
    } catch (err) {
      if (err instanceof OwnedElsewhereError) throw forget(ctx, err);
      throw err;
    } finally {
      // The container (if one was made) holds its devices by its label from here on.
      gpus?.reservation?.release();
      cancel.stop();
      ctx.endProgress();
    }
  }

  return Object.assign(processRun, { drain: () => cleanups.drain() });
}

/** One delivery of a run, from its job: the job's data parsed with the contract, its limits held to this worker's. */
function deliveryOf(deps: ProcessorDeps, job: Job<RunJobData>): RunContext {
  const parsed = RunJobDataSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? ''}`);
  const run = parsed.data;
  const attempt = job.attemptsMade + 1;
  const log = deps.log.child({ runId: run.id, model: run.name, attempt });
  // Progress is for watchers; a run does not wait on it.
  const progress = progressWriter(job, log, deps.progressSettleMs);
  return {
    job,
    run,
    attempt,
    limits: clampLimits(run.limits, deps.limits),
    log,
    progress: (phase, extra) => progress.write(phase, extra),
    endProgress: () => progress.close(),
  };
}

/** Fetched in the moment the worker paused: back to the queue, for a worker that can run and record it. */
async function handBackIfRefusing(deps: ProcessorDeps, ctx: RunContext, token: string | undefined): Promise<void> {
  const refusing = deps.refusing?.();
  if (!refusing) return;
  ctx.log.warn('taking no new runs: handing the run back', { why: refusing });
  await ctx.job.moveToWait(token);
  throw new WaitingError();
}

/**
 * What is known of the run before this delivery claims it: its record (or pending outcome) if
 * it has ended already, and when a cancel was asked for.
 */
async function lookBeforeClaiming(deps: ProcessorDeps, cleanups: Cleanups, ctx: RunContext): Promise<{ recorded?: RunRecord; cancelledAt?: string }> {
  const { run, log } = ctx;
  // Read together, one round of waiting: the cancel flag is only acted on after the claim, and
  // a cancel asked for after this read reaches the watch started before it.
  const [existing, cancelledAt] = await Promise.all([deps.recorder.known(run.name, run.id), deps.control.cancelRequestedAt(run.id)]);
  if (!existing) return { ...(cancelledAt && { cancelledAt }) };
  // A pending outcome is a finished run too: the recorder writes it, the model never runs again.
  log.info(existing.pending ? 'run already finished, its record pending; finishing the job' : 'run already recorded; finishing the job', { status: existing.record.status });
  await releaseQuota(deps, ctx, existing.record);
  cleanups.later(run.id, undefined, log);
  return { recorded: existing.record };
}

/** Ends a claimed run before any container when its image is not allowed here or it was cancelled. */
async function refuseBeforeStart(deps: ProcessorDeps, cleanups: Cleanups, ctx: AdmittedRun, cancelledAt: string | undefined): Promise<RunRecord | undefined> {
  const { run, log } = ctx;
  if (!deps.allowedImages.allows(run.image)) {
    return (await recordRun(deps, ctx, failure('image_not_allowed', `image ${run.image} is not allowed on this worker (ALLOWED_IMAGES)`), {})).record;
  }
  if (cancelledAt) {
    log.info('run was cancelled before it started');
    cleanups.later(run.id, undefined, log);
    return (await recordRun(deps, ctx, failure('cancelled', 'the run was cancelled before it started'), { finishedAt: cancelledAt })).record;
  }
  return undefined;
}

/**
 * Another host (or a later fence) owns the run now: this delivery records nothing and leaves
 * the job alone (its lock went with the redelivery that took the run over).
 */
function forget(ctx: RunContext, err: OwnedElsewhereError): DelayedError {
  ctx.log.warn('run is owned elsewhere now; nothing of this delivery is recorded', { owner: err.current?.host, fence: err.current?.fence, myFence: err.mine.fence });
  return new DelayedError(err.message);
}

/** The run's container from prepare to record; a fault on the way is handled by the retry policy. */
async function runAndRecord(deps: ProcessorDeps, cleanups: Cleanups, ctx: AdmittedRun, cancel: AbortSignal, token: string | undefined): Promise<RunRecord> {
  let handle: ContainerHandle | undefined;
  try {
    handle = await prepareContainer(deps, ctx);
    const recordedMeanwhile = handle.adopted ? undefined : await deps.store.readRecord(ctx.run.name, ctx.run.id);
    if (recordedMeanwhile) {
      // Another delivery recorded the run and removed its container after this one looked:
      // the container just made is a second one, and is removed without ever starting.
      ctx.log.warn('run was recorded by another delivery while this one prepared; its new container is not started');
      cleanups.later(ctx.run.id, handle, ctx.log);
      return recordedMeanwhile;
    }
    const executed = await runContainer(deps, ctx, handle, cancel);
    handle = executed.handle;
    const { outcome, times, logs, results } = ctx.run.benchmark ? await evaluate(deps, ctx, executed, cancel) : await inSpan('run.collect', {}, () => collectResult(deps, ctx, executed));
    const recorded = await recordRun(deps, ctx, outcome, times, logs.bytes, results);
    // Recorded or pending in Redis, the outcome is kept: the container is no longer needed.
    cleanups.later(ctx.run.id, handle, ctx.log, ctx.run.benchmark !== undefined);
    return recorded.record;
  } catch (err) {
    return await handleFault(deps, cleanups, ctx, err, handle, token);
  }
}

/** The retry policy applied: see faults.ts for which faults are retried. */
async function handleFault(deps: ProcessorDeps, cleanups: Cleanups, ctx: AdmittedRun, err: unknown, handle: ContainerHandle | undefined, token: string | undefined): Promise<RunRecord> {
  const { job, run, attempt, log } = ctx;
  // Before BullMQ fetches this worker's next job: a host whose engine is gone takes none.
  deps.sawFault?.(err);
  // A fault because this host's reconciler removed a container another host now owns the
  // run of: nothing of it is this delivery's to keep, not even an attempt error.
  const lost = err instanceof OwnedElsewhereError ? undefined : await lostOwnership(deps, ctx);
  const decision = decideFault(lost ?? err, attempt, attemptsOf(job));
  annotate({ [ATTR.outcome]: decision.kind });
  switch (decision.kind) {
    case 'owned-elsewhere':
      // Only the container this delivery made or adopted: by name it could be a newer fence's.
      if (handle) await deps.runner.remove(handle).catch(() => undefined);
      throw decision.error;
    case 'hand-back':
      log.info('worker shutting down: run handed back, container left running for adoption');
      await job.moveToWait(token);
      throw new WaitingError();
    case 'model-fault':
      log.info('run failed before it could run', { reason: decision.fault.reason, error: decision.fault.message });
      return finishWith(deps, cleanups, ctx, failure(decision.fault.reason, decision.fault.message), {}, handle);
    case 'retry':
      await keepAttemptError(deps, ctx, err);
      if (decision.engineLostAt) await deps.control.noteEngineLost(run.id, decision.engineLostAt).catch(() => undefined);
      // The container, if any, is kept: the retry adopts it rather than starting the model again.
      log.warn('infrastructure fault; the run will be retried', { ...errorFields(err), attemptsLeft: decision.attemptsLeft });
      deps.observer?.retried?.();
      throw err;
    case 'give-up':
      await keepAttemptError(deps, ctx, err);
      log.error('infrastructure fault on the last attempt; the run fails', errorFields(err));
      return finishWith(deps, cleanups, ctx, failure('infrastructure', gaveUpMessage(attempt, err)), { finishedAt: new Date().toISOString() }, handle);
  }
}

async function finishWith(deps: ProcessorDeps, cleanups: Cleanups, ctx: AdmittedRun, outcome: Outcome, times: RunTimes, handle: ContainerHandle | undefined): Promise<RunRecord> {
  const recorded = await recordRun(deps, ctx, outcome, times);
  cleanups.later(ctx.run.id, handle, ctx.log, ctx.run.benchmark !== undefined);
  return recorded.record;
}

async function keepAttemptError(deps: ProcessorDeps, ctx: RunContext, err: unknown): Promise<void> {
  await deps.control.recordAttemptError(ctx.run.id, { attempt: ctx.attempt, at: new Date().toISOString(), message: errorMessage(err), host: deps.hostId }).catch(() => undefined);
}

/** Succeeded runs complete the job; any other end fails it without a retry. */
function conclude(record: RunRecord): RunResult {
  annotate({ [ATTR.outcome]: record.status, ...(record.reason && { [ATTR.reason]: record.reason }) });
  if (record.status === 'succeeded') {
    return { id: record.id, name: record.name, status: record.status, ...(record.score !== undefined && { score: record.score }) };
  }
  throw new UnrecoverableError(`${record.reason ?? record.status}: ${record.error ?? ''}`);
}
