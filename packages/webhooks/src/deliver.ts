import http from 'node:http';
import https from 'node:https';
import { checkLiteralHost, guardedLookup } from './address-guard';
import type { SignedHeaders } from './sign';

/** One attempt may take this long, connect to last byte; then it counts as failed and is retried. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Most of a response body read (it is only for the log). */
const BODY_KEPT = 512;

export interface AttemptResult {
  status: number;
  /** The start of the response body, for the log. */
  body: string;
}

/**
 * POSTs one signed event. Redirects are not followed (a redirect could lead to an address that
 * was never checked); any status is returned for the caller to judge. Network errors, an
 * address refused by the guard and the timeout throw.
 */
export function postEvent(url: string, headers: Readonly<Record<string, string>> | SignedHeaders, body: string, opts: { allowPrivate: boolean; timeoutMs?: number }): Promise<AttemptResult> {
  const target = new URL(url);
  checkLiteralHost(target, opts.allowPrivate);
  const request = target.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'modelrun-webhooks/1' },
        lookup: guardedLookup(opts.allowPrivate) as unknown as typeof import('node:dns').lookup,
        timeout: opts.timeoutMs ?? ATTEMPT_TIMEOUT_MS,
        agent: false,
      },
      (res) => {
        let kept = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (kept.length < BODY_KEPT) kept += chunk.slice(0, BODY_KEPT - kept.length);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: kept }));
        res.on('error', reject);
      },
    );
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? ATTEMPT_TIMEOUT_MS} ms`)), opts.timeoutMs ?? ATTEMPT_TIMEOUT_MS);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? ATTEMPT_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.on('close', () => clearTimeout(deadline));
    req.end(body);
  });
}
