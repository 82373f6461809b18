import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '@modelrun/logger';

declare module 'express-serve-static-core' {
  interface Request {
    id?: string;
    log?: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Gives each request an id (the client's X-Request-Id if it is sane) and a child logger; logs the response. */
export function requestLog(log: Logger, observe?: (route: string, method: string, status: number, seconds: number) => void): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    req.id = given && REQUEST_ID.test(given) ? given : randomUUID();
    req.log = log.child({ requestId: req.id });
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      observe?.(route, req.method, res.statusCode, seconds);
      req.log?.http('request', { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000), principal: req.principal });
    });
    next();
  };
}
