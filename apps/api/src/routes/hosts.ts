import { Router } from 'express';
import { HostId } from '@modelrun/contracts';
import type { AuditLog } from '../services/audit-log';
import type { FleetService } from '../services/fleet';
import { parseOr400 } from '../validation';

/**
 * `GET /v1/hosts` (the fleet view), `GET /v1/hosts/{id}`, and `POST /v1/hosts/{id}/drain|resume`
 * (operators and admins; audited as host.drain and host.resume).
 */
export function hostsRouter(fleet: FleetService, audit?: AuditLog): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ hosts: await fleet.list() });
  });
  router.get('/:id', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await fleet.get(parseOr400(HostId, req.params.id, 'id')));
  });
  for (const action of ['drain', 'resume'] as const) {
    router.post(`/:id/${action}`, async (req, res) => {
      const id = parseOr400(HostId, req.params.id, 'id');
      const who = req.identity?.user ?? 'local';
      const { host, changed } = action === 'drain' ? await fleet.drain(id, who) : await fleet.resume(id);
      if (changed && audit) await audit.record({ actor: who, action: `host.${action}`, target: `host:${id}`, ...(req.ip && { address: req.ip }) });
      res.set('Cache-Control', 'no-store').json(host);
    });
  }
  return router;
}
