import { Router } from 'express';
import { z } from 'zod';
import { CreateTokenRequest, TokenListQuery, type WhoAmI } from '@modelrun/contracts';
import { HttpError } from '../errors';
import { jsonBody } from '../middleware/json-body';
import type { PeopleService } from '../services/people';
import { parseOr400 } from '../validation';
import { actorOf } from './people';

/** `/v1/tokens`: everyone's own personal access tokens; an admin's, anyone's. */
export function tokensRouter(people: PeopleService, bodyLimitBytes: number): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const { user } = parseOr400(TokenListQuery, req.query, 'query');
    res.set('Cache-Control', 'no-store').json({ tokens: await people.listTokens(actorOf(req), user) });
  });
  router.post('/', ...jsonBody(bodyLimitBytes), async (req, res) => {
    const made = await people.createToken(actorOf(req), parseOr400(CreateTokenRequest, req.body));
    req.log?.info('token created', { tokenId: made.id, user: made.user });
    // Shown once: nothing between here and the caller may keep a copy.
    res.status(201).set('Cache-Control', 'no-store').json(made);
  });
  router.delete('/:id', async (req, res) => {
    const id = parseOr400(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a token id'), req.params.id, 'id');
    res.json(await people.revokeToken(actorOf(req), id));
  });
  return router;
}

/** `GET /v1/whoami`: who the API takes the caller for. */
export function whoamiRouter(): Router {
  const router = Router();
  router.get('/', (req, res) => {
    const p = req.identity;
    if (!p) throw new HttpError('unauthorized', 'missing bearer token');
    const body: WhoAmI = { user: p.user, role: p.role, ...(p.team && { team: p.team }), scopes: [...p.scopes], via: p.via, ...(p.tokenId && { tokenId: p.tokenId }) };
    res.set('Cache-Control', 'no-store').json(body);
  });
  return router;
}
