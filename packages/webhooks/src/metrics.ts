import { Counter, type Registry } from 'prom-client';

/** How one delivery attempt ended. `gone` is a 410: logged and counted, the endpoint stays configured. */
export const DELIVERY_OUTCOMES = ['delivered', 'retried', 'gave_up', 'gone', 'refused'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface WebhookMetrics {
  attempt(outcome: DeliveryOutcome): void;
}

/** `modelrun_webhook_deliveries_total{outcome}` on the worker's registry. */
export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const attempts = new Counter({
    name: 'modelrun_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retried, gave_up (last attempt failed), gone (410), refused (private address)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of DELIVERY_OUTCOMES) attempts.inc({ outcome }, 0);
  return { attempt: (outcome) => attempts.inc({ outcome }) };
}
