import type { RequestHandler } from 'express';
import { HttpError } from '../errors';

/**
 * Whether a Host header names this machine's loopback: `localhost` and its subdomains
 * (RFC 6761 reserves them for loopback, browsers resolve them so without DNS), an address
 * in 127.0.0.0/8, or [::1]; any port. The host is read as a browser reads it (WHATWG URL), so
 * `127.1`, `0x7f.0.0.1` and `2130706433` are the loopback address they are.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  let hostname: string;
  try {
    const url = new URL(`http://${host}/`);
    // Anything beyond host[:port] (a user part, a path) is not a Host header.
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return false;
    hostname = url.hostname;
  } catch {
    return false;
  }
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (name === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * DNS rebinding: a page on another site can make its own host name resolve to 127.0.0.1 and
 * then call this API from the visitor's browser as a same-origin request. Without tokens the API
 * serves loopback only and trusts everyone who reaches it, so it answers only requests
 * addressed to a loopback name (the rebinding page's requests carry its own name in Host).
 * 403, not 421: the request did reach the right server; it is the caller that is refused.
 */
export function loopbackHostsOnly(): RequestHandler {
  return (req, _res, next) => {
    const host = req.get('host');
    if (isLoopbackHost(host)) return next();
    next(
      new HttpError(
        'forbidden',
        `this API has no API_TOKENS, so it answers only requests addressed to localhost, 127.0.0.1 or [::1]; Host ${JSON.stringify((host ?? '').slice(0, 100))} is not one (a guard against DNS rebinding). Use http://127.0.0.1:<port>/, or set API_TOKENS`,
      ),
    );
  };
}
