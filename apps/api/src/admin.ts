import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, Router } from 'express';
import type { RunQueues } from '@modelrun/queue';
import type { WebhookQueue } from '@modelrun/webhooks';

export const ADMIN_PATH = '/admin/queues';

/** Bull Board's page asks Google for its fonts; under our CSP nothing comes from elsewhere. */
const REMOTE_FONTS = /<link[^>]+href="https:\/\/fonts\.googleapis\.com[^>]*>/g;

type Engine = (path: string, options: object, callback: (err: Error | null, html?: string) => void) => void;

/**
 * Bull Board for watching the queues: runs (CPU, and GPU where GPUs are on), and webhook
 * deliveries (each with its attempts and last error). Read-only: a job added or edited there
 * would skip the API's validation (the worker would refuse it, but nobody should have to find
 * that out). A queue this deployment cannot use is left out, so its "No workers" alarms nobody.
 */
export function createAdminRouter(queues: RunQueues, webhooks: WebhookQueue, inUse: { gpus: boolean } = { gpus: true }): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_PATH);
  const bullBoard = createBullBoard({
    queues: [
      new BullMQAdapter(queues.cpu, { readOnlyMode: true, description: 'modelrun runs: every worker takes them' }),
      ...(inUse.gpus ? [new BullMQAdapter(queues.gpu, { readOnlyMode: true, description: 'modelrun runs that ask for GPUs: only workers with WORKER_GPUS take them' })] : []),
      // The API cannot tell whether the workers have WEBHOOK_URLS: the description says what "No workers" means.
      new BullMQAdapter(webhooks, { readOnlyMode: true, description: 'run.finished webhook deliveries: taken only by workers with WEBHOOK_URLS ("No workers" without them is expected)' }),
    ],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'modelrun' } },
  });
  // Routed queues (runs that require host labels) appear as the API first meets each.
  queues.onRouted((q) =>
    bullBoard.addQueue(new BullMQAdapter(q, { readOnlyMode: true, description: `modelrun runs that require ${q.name.slice(q.name.indexOf('@') + 1)}: only hosts that have all of it take them` })),
  );
  // Its page falls back to the system fonts without the remote stylesheet.
  const board = serverAdapter.getRouter() as Express;
  const render = (board as unknown as { engines: Record<string, Engine> }).engines['.ejs']!;
  board.engine('ejs', (path, options, callback) => render(path, options, (err, html) => callback(err, html?.replace(REMOTE_FONTS, ''))));
  return board as unknown as Router;
}
