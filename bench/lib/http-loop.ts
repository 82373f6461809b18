import http from 'node:http';
import { nowMs } from './stats';

export interface LoopResult {
  /** Per-request latencies in ms, in the order they were made. */
  latencies: number[];
  bytes: number;
  errors: number;
}

// Idle sockets are dropped after 4 s, before Node servers' 5 s keep-alive timeout closes them
// under a request (the loops take turns across several APIs and leave sockets idle meanwhile).
const agent = new http.Agent({ keepAlive: true, maxSockets: 16, timeout: 4_000 });

/**
 * One GET on a kept-alive connection; resolves with the status and body size. A reused socket
 * that the server closed at the same moment fails with ECONNRESET: that one is retried once.
 */
export async function get(url: string): Promise<{ status: number; bytes: number; body: Buffer }> {
  try {
    return await getOnce(url);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err;
    return getOnce(url);
  }
}

function getOnce(url: string): Promise<{ status: number; bytes: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: body.length, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * Requests one after another on one kept-alive connection (a tight loop), cycling through
 * `urls`, for `count` requests after `warmup` untimed ones. Sub-millisecond timing, which
 * autocannon's whole-millisecond histogram cannot give.
 */
export async function tightLoop(urls: readonly string[], count: number, warmup = Math.min(200, count)): Promise<LoopResult> {
  const result: LoopResult = { latencies: [], bytes: 0, errors: 0 };
  for (let i = 0; i < warmup + count; i++) {
    const url = urls[i % urls.length]!;
    const t0 = nowMs();
    const res = await get(url);
    const ms = nowMs() - t0;
    if (i < warmup) continue;
    if (res.status !== 200) result.errors++;
    result.latencies.push(ms);
    result.bytes += res.bytes;
  }
  return result;
}

export function closeAgent(): void {
  agent.destroy();
}

/** One JSON POST on the kept-alive agent. */
export function postJson(url: string, body: unknown): Promise<{ status: number; body: Buffer }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}
