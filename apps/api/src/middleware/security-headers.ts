import type { RequestHandler } from 'express';
import helmet from 'helmet';

type HeaderValue = string | number | readonly string[];

/** What a helmet middleware does to a response: the headers it sets and the ones it removes. */
interface HeaderSet {
  set: [string, HeaderValue][];
  removed: string[];
}

/**
 * helmet's headers, set for the API, the web app and Bull Board alike. The Content-Security-
 * Policy allows scripts and styles from this origin only (inline styles: Bull Board and uPlot
 * set them). Two of helmet's defaults assume TLS and break the web app when the API is reached
 * over plain HTTP at a non-loopback address (a compose stack on a LAN host):
 * `upgrade-insecure-requests` sends the page's own scripts to https:// (where nothing listens),
 * and Chrome reports Cross-Origin-Opener-Policy on an untrustworthy origin as an error. So
 * neither is sent on plain HTTP; behind TLS (req.secure, with TRUST_PROXY) both are.
 *
 * helmet's headers depend on its options only, never on the request (no directive here is a
 * function), so each set is taken from helmet once and replayed: a dozen setHeader calls per
 * request instead of helmet's chain of thirteen middlewares.
 */
export function securityHeaders(): RequestHandler {
  const overTls = recorded(helmetFor(true));
  const plain = recorded(helmetFor(false));
  return (req, res, next) => {
    const headers = req.secure ? overTls : plain;
    for (const name of headers.removed) res.removeHeader(name);
    for (const [name, value] of headers.set) res.setHeader(name, value);
    next();
  };
}

/** helmet as configured for requests over TLS or over plain HTTP (see securityHeaders). */
export function helmetFor(overTls: boolean): ReturnType<typeof helmet> {
  const directives = { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"] };
  if (overTls) return helmet({ contentSecurityPolicy: { useDefaults: true, directives } });
  return helmet({
    contentSecurityPolicy: { useDefaults: true, directives: { ...directives, 'upgrade-insecure-requests': null } },
    crossOriginOpenerPolicy: false,
  });
}

/** Runs a header-only middleware once against a recorder. */
function recorded(middleware: ReturnType<typeof helmet>): HeaderSet {
  const headers: HeaderSet = { set: [], removed: [] };
  const res = {
    setHeader(name: string, value: HeaderValue) {
      headers.set.push([name, value]);
      return res;
    },
    removeHeader(name: string) {
      headers.removed.push(name);
    },
  };
  let called = false;
  // With no function directives helmet reads nothing from the request: any read throws here, at start-up.
  const req = new Proxy(
    {},
    {
      get: (_target, key) => {
        throw new Error(`helmet read req.${String(key)}: its headers would depend on the request`);
      },
    },
  );
  middleware(req as never, res as never, (err?: unknown) => {
    if (err) throw err;
    called = true;
  });
  if (!called) throw new Error('helmet did not finish synchronously: its headers cannot be recorded');
  return headers;
}
