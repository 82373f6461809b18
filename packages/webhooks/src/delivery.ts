import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type Logger, errorFields } from '@modelrun/logger';
import { AddressRefusedError } from './address-guard';
import { postEvent } from './deliver';
import { WEBHOOK_QUEUE, WebhookJobData } from './event';
import type { WebhookMetrics } from './metrics';
import { signAttempt } from './sign';

export interface DeliveryOptions {
  /** WEBHOOK_SECRET: `whsec_` and base64. */
  secret: string;
  /** WEBHOOK_ALLOW_PRIVATE: deliver to loopback, link-local and private addresses too. */
  allowPrivate: boolean;
  log: Logger;
  metrics?: WebhookMetrics;
  /** One attempt's time limit (default ATTEMPT_TIMEOUT_MS). */
  timeoutMs?: number;
}

export interface DeliveryResult {
  status: number;
  attempt: number;
}

/**
 * Delivers one event to one endpoint, signed afresh for this attempt. A 2xx is delivered. A 410
 * ends this delivery (retrying a gone endpoint is pointless), is logged and counted, and
 * disables nothing: the next event goes to the same endpoint. A private address is refused
 * without retries. Anything else (another status, no answer) is retried with backoff.
 */
export function createDeliveryProcessor(opts: DeliveryOptions) {
  return async (job: Job<WebhookJobData>): Promise<DeliveryResult> => {
    const data = WebhookJobData.parse(job.data);
    const attempt = job.attemptsMade + 1;
    const last = attempt >= (job.opts.attempts ?? 1);
    // The origin only: paths and queries of webhook URLs often carry tokens of their own.
    const fields = { runId: data.event.data.id, endpoint: new URL(data.url).origin, attempt, jobId: job.id };
    const body = JSON.stringify(data.event);
    const failed = (message: string, err?: unknown): Error => {
      opts.metrics?.attempt(last ? 'gave_up' : 'retried');
      const level = last ? 'error' : 'warn';
      opts.log[level](last ? 'webhook delivery gave up' : 'webhook delivery failed; will retry', { ...fields, ...(err ? errorFields(err) : { error: message }) });
      return new Error(message);
    };

    let status: number;
    let answer: string;
    try {
      ({ status, body: answer } = await postEvent(data.url, signAttempt(opts.secret, data.messageId, body), body, {
        allowPrivate: opts.allowPrivate,
        ...(opts.timeoutMs && { timeoutMs: opts.timeoutMs }),
      }));
    } catch (err) {
      if (err instanceof AddressRefusedError) {
        opts.metrics?.attempt('refused');
        opts.log.error('webhook refused: the endpoint is a private address', { ...fields, ...errorFields(err) });
        throw new UnrecoverableError(err.message);
      }
      throw failed((err as Error).message, err);
    }
    if (status >= 200 && status < 300) {
      opts.metrics?.attempt('delivered');
      opts.log.info('webhook delivered', { ...fields, status });
      return { status, attempt };
    }
    if (status === 410) {
      opts.metrics?.attempt('gone');
      opts.log.warn('webhook endpoint answered 410 Gone: this event is not sent again there; the endpoint stays configured (remove it from WEBHOOK_URLS if it is gone for good)', fields);
      throw new UnrecoverableError(`${fields.endpoint} answered 410 Gone`);
    }
    throw failed(`${fields.endpoint} answered ${status}${answer ? `: ${answer.slice(0, 200)}` : ''}`);
  };
}

export interface WebhookWorkerOptions extends DeliveryOptions {
  /** A connection that retries forever (BullMQ's requirement for a Worker). */
  connection: Redis;
  prefix: string;
  /** Deliveries at once (WEBHOOK_CONCURRENCY). */
  concurrency: number;
}

/** The BullMQ Worker for deliveries: its own, small, beside the worker's run processing. */
export function startWebhookWorker(opts: WebhookWorkerOptions): Worker<WebhookJobData, DeliveryResult> {
  const worker = new Worker<WebhookJobData, DeliveryResult>(WEBHOOK_QUEUE, createDeliveryProcessor(opts), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency,
  });
  worker.on('error', (err) => opts.log.warn('webhook worker error', errorFields(err)));
  return worker;
}
