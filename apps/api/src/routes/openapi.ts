import { Router } from 'express';
import { openApiDocument } from '../openapi/document';

/** The API's contract, served at /v1/openapi.json (generated once, at start). */
export function openApiRouter(): Router {
  const router = Router();
  const body = JSON.stringify(openApiDocument());
  router.get('/', (_req, res) => {
    res.type('json').send(body);
  });
  return router;
}
