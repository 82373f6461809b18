import express, { type RequestHandler } from 'express';
import { badRequest } from '../errors';

/** JSON bodies only, capped in size (413 beyond); anything else is a 400 that says what to send. */
export function jsonBody(limitBytes: number): RequestHandler[] {
  return [
    (req, _res, next) => {
      if (!req.is('application/json')) return next(badRequest('the body must be JSON, sent with Content-Type: application/json'));
      return next();
    },
    express.json({ limit: limitBytes, strict: false, type: 'application/json' }),
  ];
}
