import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers, set for the API, the web app and Bull Board alike. The Content-Security-
 * Policy allows scripts and styles from this origin only (inline styles: Bull Board and uPlot
 * set them). Two of helmet's defaults assume TLS and break the web app when the API is reached
 * over plain HTTP at a non-loopback address (a compose stack on a LAN host):
 * `upgrade-insecure-requests` sends the page's own scripts to https:// (where nothing listens),
 * and Chrome reports Cross-Origin-Opener-Policy on an untrustworthy origin as an error. So
 * neither is sent on plain HTTP; behind TLS (req.secure, with TRUST_PROXY) both are: two helmet
 * instances, made once, one chosen per request.
 */
export function securityHeaders(): RequestHandler {
  const overTls = helmetFor(true);
  const plain = helmetFor(false);
  return (req, res, next) => (req.secure ? overTls : plain)(req, res, next);
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
