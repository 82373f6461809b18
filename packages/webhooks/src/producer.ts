import { createHash } from 'node:crypto';
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunView } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import { WEBHOOK_QUEUE, type WebhookJobData, runFinished } from './event';

export type WebhookQueue = Queue<WebhookJobData>;

export interface WebhookRetry {
  /** Tries per delivery, the first included. */
  attempts: number;
  /** Delay before the first retry; it doubles with each one (a little jitter on top). */
  backoffMs: number;
}

/** The deliveries queue, on a connection the caller owns. */
export function createWebhookQueue(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined): WebhookQueue {
  const queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, { connection, prefix });
  queue.on('error', onError);
  return queue;
}

/**
 * One job per event and endpoint. The job id follows from both, so an event queued twice (a run
 * delivered again after its record was written) is one delivery while the job is kept.
 */
export function webhookJobOptions(messageId: string, url: string, retry: WebhookRetry): JobsOptions {
  const endpoint = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return {
    jobId: `${messageId}.${endpoint}`,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs, jitter: 0.2 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 14 * 24 * 3600, count: 10_000 },
  };
}

/** Tries to queue an event before it is given up (and logged as lost); Redis's own reconnects come first. */
const ENQUEUE_TRIES = 5;

/**
 * Queues `run.finished` for every configured endpoint. Never throws and never makes the caller
 * wait: a run is recorded whatever happens to its webhooks. While Redis is away the add waits
 * (the worker's connection queues commands until it is back) and a failed add is tried again.
 */
export class WebhookProducer {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly queue: WebhookQueue,
    private readonly urls: readonly string[],
    private readonly retry: WebhookRetry,
    private readonly log: Logger,
  ) {}

  runFinished(run: RunView, at: string = new Date().toISOString()): void {
    if (this.urls.length === 0) return;
    const { messageId, event } = runFinished(run, at);
    const jobs = this.urls.map((url) => ({ name: event.type, data: { messageId, url, event }, opts: webhookJobOptions(messageId, url, this.retry) }));
    const job = this.addWithRetries(jobs, run.id).finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Waits up to `timeoutMs` for events still being queued (at shutdown); returns how many were left. */
  async drain(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return this.pending.size;
  }

  private async addWithRetries(jobs: { name: string; data: WebhookJobData; opts: JobsOptions }[], runId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.queue.addBulk(jobs);
        this.log.debug('webhook events queued', { runId, endpoints: jobs.length });
        return;
      } catch (err) {
        if (attempt >= ENQUEUE_TRIES) {
          this.log.error('webhook events lost: could not queue them', { runId, endpoints: jobs.length, ...errorFields(err) });
          return;
        }
        this.log.warn('webhook events not queued yet; trying again', { runId, attempt, ...errorFields(err) });
        await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** (attempt - 1)));
      }
    }
  }
}
