import type { Job } from 'bullmq';
import type { PendingOutcome } from '@modelrun/run-control';
import { type AttemptError, type RunJobData, RunProgress, type RunStatus, type RunView } from '@modelrun/contracts';

/** How BullMQ's job states read as run states. */
export function statusOfJobState(state: string): RunStatus | 'final' | undefined {
  switch (state) {
    case 'waiting':
    case 'prioritized':
    case 'delayed':
    case 'waiting-children':
    case 'paused':
      return 'queued';
    case 'active':
      return 'running';
    case 'completed':
    case 'failed':
      return 'final';
    default:
      return undefined;
  }
}

export interface LiveFacts {
  status: 'queued' | 'running';
  attemptErrors: AttemptError[];
  cancelRequestedAt?: string;
  /** A queued run no live host can take: the host it waits for (routing.ts waitingFor). */
  waitingFor?: string;
}

/** The view of a run still in the queue, from its job. */
export function viewOfJob(job: Job<RunJobData>, facts: LiveFacts, now = Date.now()): RunView {
  const data = job.data;
  const progress = RunProgress.safeParse(job.progress);
  const view: RunView = {
    id: data.id,
    name: data.name,
    image: data.image,
    ...(data.benchmark && { benchmark: data.benchmark }),
    ...(data.submittedBy && { submittedBy: data.submittedBy }),
    ...(data.rerunOf && { rerunOf: data.rerunOf }),
    ...(data.requestedBy && { requestedBy: data.requestedBy }),
    status: facts.status,
    limits: data.limits,
    createdAt: data.createdAt,
    attempts: job.attemptsStarted,
  };
  if (facts.status === 'running' && progress.success) {
    view.phase = progress.data.phase;
    if (progress.data.startedAt) view.startedAt = progress.data.startedAt;
    if (progress.data.phase === 'pulling' && progress.data.pull) view.pull = progress.data.pull;
  }
  if (job.opts.attempts) view.maxAttempts = job.opts.attempts;
  if (data.requires?.length) view.requires = data.requires;
  if (data.benchmarkPhase) view.benchmarkPhase = data.benchmarkPhase;
  if (facts.status === 'queued' && facts.waitingFor) view.waitingFor = facts.waitingFor;
  if (facts.attemptErrors.length) view.attemptErrors = facts.attemptErrors;
  const last = facts.attemptErrors.at(-1);
  // Waiting out the backoff after a failed try: BullMQ keeps that backoff as the job's delay
  // (and leaves it there once the job waits again, hence only a time still to come).
  const nextAt = last && job.delay > 0 ? Date.parse(last.at) + job.delay : 0;
  if (facts.status === 'queued' && nextAt > now) view.nextAttemptAt = new Date(nextAt).toISOString();
  if (facts.cancelRequestedAt) {
    // Cancelled: the worker records it as soon as it sees the request; show it ended now.
    view.status = 'cancelled';
    view.reason = 'cancelled';
    view.error = 'the run was cancelled';
    view.finishedAt = facts.cancelRequestedAt;
    delete view.phase;
    delete view.pull;
  }
  return view;
}

/**
 * The view of a run that has finished but whose record waits for the volume (phase
 * `recording`): shown as still running, with why, never as failed. Its outcome appears with
 * its record.
 */
export function viewOfPending(p: PendingOutcome): RunView {
  const r = p.record;
  return {
    id: r.id,
    name: r.name,
    image: r.image,
    ...(r.submittedBy && { submittedBy: r.submittedBy }),
    ...(r.rerunOf && { rerunOf: r.rerunOf }),
    ...(r.requestedBy && { requestedBy: r.requestedBy }),
    ...(r.imageDigest && { imageDigest: r.imageDigest }),
    ...(r.host && { host: r.host }),
    status: 'running',
    phase: 'recording',
    limits: r.limits,
    createdAt: r.createdAt,
    ...(r.startedAt && { startedAt: r.startedAt }),
    attempts: r.attempts,
    ...(r.attemptErrors && { attemptErrors: r.attemptErrors }),
    recordingError: p.error ? `the run has finished; its record waits for the volume: ${p.error}` : 'the run has finished; its record is being written',
  };
}
