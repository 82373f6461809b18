import { type Request, Router } from 'express';
import { CreateTeamRequest, CreateUserRequest, PersonId, UpdateUserRequest } from '@modelrun/contracts';
import { HttpError } from '../errors';
import { jsonBody } from '../middleware/json-body';
import type { Actor, PeopleService } from '../services/people';
import { parseOr400 } from '../validation';

/** The caller as the people service wants them: who, with what role and scopes, from where. */
export function actorOf(req: Request): Actor {
  if (!req.identity) throw new HttpError('unauthorized', 'missing bearer token');
  return { ...req.identity, ...(req.ip && { address: req.ip }) };
}

const idParam = (req: Request): string => parseOr400(PersonId, req.params.id, 'id');

/** `/v1/users`: an admin's (the route table says who may; ../authz/routes.ts). */
export function usersRouter(people: PeopleService, bodyLimitBytes: number): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.json({ users: await people.listUsers() });
  });
  router.post('/', ...jsonBody(bodyLimitBytes), async (req, res) => {
    const user = await people.createUser(actorOf(req), parseOr400(CreateUserRequest, req.body));
    res.status(201).location(`/v1/users/${user.id}`).json(user);
  });
  router.get('/:id', async (req, res) => {
    res.json(await people.getUser(idParam(req)));
  });
  router.patch('/:id', ...jsonBody(bodyLimitBytes), async (req, res) => {
    res.json(await people.updateUser(actorOf(req), idParam(req), parseOr400(UpdateUserRequest, req.body)));
  });
  router.delete('/:id', async (req, res) => {
    res.json(await people.deleteUser(actorOf(req), idParam(req)));
  });
  return router;
}

/** `/v1/teams`: an admin's. */
export function teamsRouter(people: PeopleService, bodyLimitBytes: number): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.json({ teams: await people.listTeams() });
  });
  router.post('/', ...jsonBody(bodyLimitBytes), async (req, res) => {
    const team = await people.createTeam(actorOf(req), parseOr400(CreateTeamRequest, req.body));
    res.status(201).json(team);
  });
  router.delete('/:id', async (req, res) => {
    res.json(await people.deleteTeam(actorOf(req), idParam(req)));
  });
  return router;
}
