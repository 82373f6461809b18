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
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.id = id;
    req.log = log.child({ requestId: id });
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      observe?.(route, req.method, res.statusCode, seconds);
      // winston formats a line before its transport drops it for its level: at the default
      // `info`, the `http` request line would cost a JSON serialisation per request for nothing.
      if (log.isLevelEnabled('http')) req.log?.http('request', { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000), principal: req.principal });
    });
    next();
  };
}
