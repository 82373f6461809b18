import { Router } from 'express';
import { AuditQuery } from '@modelrun/contracts';
import type { AuditLog } from '../services/audit-log';
import { parseOr400 } from '../validation';

/** `GET /v1/audit`: the audit log, newest first, for admins. */
export function auditRouter(audit: AuditLog): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseOr400(AuditQuery, req.query, 'query');
    const entries = await audit.list({ limit: q.limit, ...(q.before && { before: q.before }) });
    res.set('Cache-Control', 'no-store').json({ entries });
  });
  return router;
}
