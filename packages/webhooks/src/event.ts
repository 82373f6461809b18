import { z } from 'zod';
import { RunView } from '@modelrun/contracts';

/** The BullMQ queue deliveries wait in: one job per event per endpoint. */
export const WEBHOOK_QUEUE = 'webhooks';

export const WEBHOOK_EVENT_TYPES = ['run.finished'] as const;

/**
 * What an endpoint receives, in the Standard Webhooks shape (`type`, `timestamp`, `data`):
 * `run.finished` carries the run as `GET /v1/runs/{id}` shows it once it has ended.
 */
export const RunFinishedEvent = z.strictObject({
  type: z.literal('run.finished'),
  /** When the run was recorded (the event happened), not when this attempt was sent. */
  timestamp: z.iso.datetime(),
  data: RunView,
});
export type RunFinishedEvent = z.infer<typeof RunFinishedEvent>;

/** A delivery job: the event and where it goes, with the id every attempt is signed with. */
export const WebhookJobData = z.strictObject({
  /** `webhook-id`: the same on every retry, so receivers can drop duplicates (delivery is at least once). */
  messageId: z.string().regex(/^msg_[0-9a-f-]+$/),
  url: z.url({ protocol: /^https?$/ }),
  event: RunFinishedEvent,
});
export type WebhookJobData = z.infer<typeof WebhookJobData>;

/** The event for a run that has ended. Its message id follows from the run: one run, one event. */
export function runFinished(run: RunView, at: string): { messageId: string; event: RunFinishedEvent } {
  return { messageId: `msg_${run.id}`, event: { type: 'run.finished', timestamp: at, data: run } };
}
