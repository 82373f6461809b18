/**
 * The real API in a process of its own, for the submission and leaderboard benchmarks: the load
 * generator must not share the API's event loop, and resident memory must be the API's alone.
 * Started by api-process.ts with --expose-gc; configured by the environment like main.ts; talks
 * to its parent over IPC.
 */
import { statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { createLogger } from '@modelrun/logger';
import type { ChildReply, ChildRequest } from './api-protocol';

const bootMs = performance.now();
let indexLoaded: { records: number; errors: number; ms: number; models: number; source?: string } | undefined;
let snapshotWritten: { ms: number } | undefined;

// JSON log lines are parsed only to pick up the API's own "index loaded" and "index snapshot
// written" figures; the rest is dropped.
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) {
      const loaded = line.includes('"index loaded"');
      if (!loaded && !line.includes('"index snapshot written"')) continue;
      try {
        if (loaded) indexLoaded = JSON.parse(line) as typeof indexLoaded;
        else snapshotWritten = JSON.parse(line) as typeof snapshotWritten;
      } catch {
        // not a whole line; the figure is then missing from the report, not wrong
      }
    }
    done();
  },
});

function reply(msg: ChildReply): void {
  process.send?.(msg);
}

// A bench killed outright (kill -9, a closed terminal) leaves no one to send 'stop': without
// this, an API child lived on, serving nothing and using CPU for an hour after its bench died.
process.on('disconnect', () => process.exit(1));

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const log = createLogger({ service: 'api', level: process.env.LOG_LEVEL ?? 'info', format: 'json', stream: sink });
  const t0 = performance.now();
  const api = await startApi(config, log);
  const startApiMs = performance.now() - t0;
  const listening = performance.now();
  let verifiedAt: number | undefined;
  void api.feed.sync.verified.then(() => (verifiedAt = Math.max(listening, performance.now())));
  let floor: http.Server | undefined;

  process.on('message', (msg: ChildRequest) => {
    void (async () => {
      switch (msg.type) {
        case 'memory': {
          const gc = (globalThis as { gc?: () => void }).gc;
          gc?.();
          gc?.();
          const m = process.memoryUsage();
          reply({ type: 'memory', rss: m.rss, maxRss: process.resourceUsage().maxRSS * 1024, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, gcRan: gc !== undefined });
          break;
        }
        case 'floor': {
          // The floor: the same bytes the API answers, served by a bare http server in this process.
          const body = await fetchBytes(`${api.url}${msg.path}`);
          floor = http.createServer((_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
            res.end(body);
          });
          await new Promise<void>((r) => floor!.listen(0, '127.0.0.1', r));
          reply({ type: 'floor', url: `http://127.0.0.1:${(floor.address() as AddressInfo).port}`, bytes: body.length });
          break;
        }
        case 'rescan': {
          const t = performance.now();
          await api.feed.rescan();
          reply({ type: 'rescan', ms: performance.now() - t });
          break;
        }
        case 'verified': {
          await api.feed.sync.verified;
          reply({ type: 'verified', processMs: verifiedAt ?? performance.now(), state: api.feed.sync.state });
          break;
        }
        case 'snapshot': {
          const t = performance.now();
          await api.feed.sync.saveSnapshot();
          // The write's own time when it was this process's last one; else the wait for it.
          reply({ type: 'snapshot', ms: snapshotWritten?.ms ?? performance.now() - t, bytes: statSync(api.feed.sync.snapshotPath).size });
          break;
        }
        case 'stop': {
          floor?.close();
          await api.close('bench done');
          process.exit(0);
        }
      }
    })().catch((err: Error) => reply({ type: 'error', message: err.message }));
  });

  reply({
    type: 'ready',
    url: api.url,
    bootToListenMs: listening - bootMs,
    processToListenMs: listening,
    startApiMs,
    indexMs: indexLoaded?.ms,
    indexSource: indexLoaded?.source,
    records: indexLoaded?.records ?? api.index.runCount,
    models: api.index.modelCount,
  });
}

function fetchBytes(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
      .on('error', reject);
  });
}

main().catch((err: Error) => {
  reply({ type: 'error', message: `api did not start: ${err.message}` });
  process.exit(1);
});
