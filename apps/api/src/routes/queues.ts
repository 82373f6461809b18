import { Router } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../services/audit-log';
import type { FleetService } from '../services/fleet';
import { parseOr400 } from '../validation';

const QueueName = z.string().regex(/^[A-Za-z0-9@=,._:-]{1,200}$/, 'is not a queue name');

/**
 * `GET /v1/queues` (each queue's waiting, running and oldest wait) and
 * `POST /v1/queues/{name}/pause|resume`: the product's pause, for every worker of every host
 * (BullMQ's Queue.pause; Bull Board at /admin/queues stays read-only). Audited.
 */
export function queuesRouter(fleet: FleetService, audit?: AuditLog): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ queues: await fleet.queueList() });
  });
  for (const action of ['pause', 'resume'] as const) {
    router.post(`/:name/${action}`, async (req, res) => {
      const name = parseOr400(QueueName, req.params.name, 'name');
      const who = req.identity?.user ?? 'local';
      const { queue, changed } = await fleet.pauseQueue(name, action === 'pause');
      if (changed && audit) await audit.record({ actor: who, action: `queue.${action}`, target: `queue:${name}`, ...(req.ip && { address: req.ip }) });
      res.set('Cache-Control', 'no-store').json(queue);
    });
  }
  return router;
}
