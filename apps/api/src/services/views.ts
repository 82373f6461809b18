import type { Job } from 'bullmq';
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
}

/** The view of a run still in the queue, from its job. */
export function viewOfJob(job: Job<RunJobData>, facts: LiveFacts): RunView {
  const data = job.data;
  const progress = RunProgress.safeParse(job.progress);
  const view: RunView = {
    id: data.id,
    name: data.name,
    image: data.image,
    ...(data.benchmark && { benchmark: data.benchmark }),
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
  if (facts.attemptErrors.length) view.attemptErrors = facts.attemptErrors;
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
