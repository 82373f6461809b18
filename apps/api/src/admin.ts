import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Router } from 'express';
import type { RunQueue } from '@modelrun/queue';

export const ADMIN_PATH = '/admin/queues';

/**
 * Bull Board for watching the queue. Read-only: a job added or edited there would skip the
 * API's validation (the worker would refuse it, but nobody should have to find that out).
 */
export function createAdminRouter(queue: RunQueue): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue, { readOnlyMode: true, description: 'modelrun runs' })],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'modelrun' } },
  });
  return serverAdapter.getRouter() as Router;
}
