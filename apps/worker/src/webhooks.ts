import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { WebhookConfig } from '@modelrun/config';
import { type RunRecord, type RunView, viewOfRecord } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import { WebhookProducer, createWebhookMetrics, createWebhookQueue, startWebhookWorker } from '@modelrun/webhooks';

export interface WorkerWebhooks {
  /** Called once a run's record is written: queues its `run.finished` event. Never throws or waits. */
  runRecorded(record: RunRecord): void;
  /** Waits a little for events still being queued, then stops delivering. */
  close(): Promise<void>;
}

/** How long shutdown waits for events still on their way into the queue. */
const DRAIN_MS = 5_000;

/**
 * Webhooks in the worker process: the producer the run processor reports to, and the deliveries'
 * own BullMQ Worker (its own small concurrency, beside the runs'). Off without WEBHOOK_URLS.
 */
export function startWebhooks(config: WebhookConfig, connection: Redis, prefix: string, registry: Registry, log: Logger): WorkerWebhooks | undefined {
  if (config.urls.length === 0 || !config.secret) return undefined;
  const wlog = log.child({ component: 'webhooks' });
  const queue = createWebhookQueue(connection, prefix, (err) => wlog.warn('webhook queue error', { error: err.message }));
  const producer = new WebhookProducer(queue, config.urls, config.retry, wlog);
  const delivery = startWebhookWorker({
    connection,
    prefix,
    concurrency: config.concurrency,
    secret: config.secret,
    allowPrivate: config.allowPrivate,
    log: wlog,
    metrics: createWebhookMetrics(registry),
  });
  wlog.info('webhooks on', { endpoints: config.urls.map((u) => new URL(u).origin), allowPrivate: config.allowPrivate, attempts: config.retry.attempts });
  return {
    runRecorded: (record) => producer.runFinished(viewForWebhook(record), record.finishedAt),
    close: async () => {
      const left = await producer.drain(DRAIN_MS);
      if (left > 0) wlog.warn('webhook events not queued at shutdown', { events: left });
      await delivery.close();
      await queue.close();
    },
  };
}

/** The run a webhook carries: its view, without its private scores (issue 19), since a receiver is anyone's endpoint. */
export function viewForWebhook({ privateScore: _privateScore, privateMetrics: _privateMetrics, ...record }: RunRecord): RunView {
  return viewOfRecord(record);
}
