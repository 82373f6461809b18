/**
 * npm run bench:tracing [-- --seconds 5 --rounds 3 --connections 16]
 *
 * What tracing costs a submission, side by side in one run: two real API processes (main.ts,
 * as deployed) on one Redis, one with tracing off (the default) and one exporting every span
 * over OTLP/HTTP JSON to a receiver in this process; POST /v1/models at both with autocannon,
 * rounds interleaved so machine drift hits both alike. Then what a span costs while tracing is
 * off (the OpenTelemetry API's no-op tracer), against the bare call, in this process. Prints a
 * table; writes bench/results/<time>-tracing.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ATTR, annotate, inSpan } from '@modelrun/telemetry';
import { type AppProcess, spawnApp } from '../test/helpers/processes';
import { type LoadResult, load } from './lib/cannon';
import { processCpuMs } from './lib/process-cpu';
import { startBenchRedis } from './lib/redis';
import { machineInfo, writeResults } from './lib/results';
import { mean, median } from './lib/stats';
import { type Row, renderTable } from './lib/table';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const BODY = JSON.stringify({ image: 'registry.example/team/bench-model:v1', name: 'bench-model' });

/** An OTLP/HTTP receiver that counts what it is sent and keeps nothing. */
async function startSink(): Promise<{ url: string; requests: number; bytes: number; spans: number; names: Record<string, number>; close(): Promise<void> }> {
  const sink = {
    url: '',
    requests: 0,
    bytes: 0,
    spans: 0,
    names: {} as Record<string, number>,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      sink.requests++;
      sink.bytes += body.length;
      const sent = JSON.parse(body.toString('utf8')) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<{ name: string }> }> }> };
      for (const s of (sent.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []))) {
        sink.spans++;
        sink.names[s.name] = (sink.names[s.name] ?? 0) + 1;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sink;
}

/** ns per call of `fn`, the best of a few passes of `n` calls. */
async function perCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  const passes: number[] = [];
  for (let p = 0; p < 5; p++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    passes.push(Number(process.hrtime.bigint() - t) / n);
  }
  return Math.min(...passes);
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 5);
  const rounds = arg('rounds', 3);
  const connections = arg('connections', 16);
  const machine = machineInfo();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`tracing bench: POST /v1/models, ${connections} connections, ${rounds} rounds of ${seconds} s per side, load ${machine.loadAverage.join(' ')}`);
  const started = Date.now();

  // While tracing is off: what wrapping a step in a span costs, against calling it bare.
  const step = (): Promise<number> => Promise.resolve(1);
  const calls = 200_000;
  const bareNs = await perCall(calls, step);
  const spanNs = await perCall(calls, () => inSpan('run.step', { [ATTR.runId]: 'r' }, step));
  const annotateNs = await perCall(calls, async () => annotate({ [ATTR.outcome]: 'succeeded' }));
  log(`no-op span: ${(spanNs - bareNs).toFixed(0)} ns over the bare call (${bareNs.toFixed(0)} ns); annotate ${annotateNs.toFixed(0)} ns`);

  const redis = await startBenchRedis();
  const sink = await startSink();
  const dirs: string[] = [];
  const procs: AppProcess[] = [];
  const api = async (name: string, env: Record<string, string>): Promise<{ url: string; pid: number }> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'modelrun-bench-tracing-'));
    dirs.push(dataDir);
    const p = spawnApp('api', {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `bt${randomBytes(4).toString('hex')}`,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      // The default 600 a minute per caller would measure the limiter, not the API.
      RATE_LIMIT_PER_MINUTE: '0',
      INDEX_RESCAN_SECONDS: '0',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      ...env,
    });
    procs.push(p);
    const listening = await p.waitForLog('api listening', 120_000);
    log(`${name}: ${String(listening.url)}`);
    return { url: String(listening.url), pid: p.child.pid! };
  };
  const sides = {
    off: await api('tracing off (the default)', {}),
    // JSON is the costlier of the two OTLP encodings: an upper bound for protobuf.
    // A queue big enough, sent often enough, that no span is dropped at this rate: every one is paid for.
    on: await api('tracing on', {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_MAX_QUEUE_SIZE: '65536',
      OTEL_BSP_SCHEDULE_DELAY: '500',
    }),
  };
  const results: Record<'off' | 'on', LoadResult[]> = { off: [], on: [] };
  // The API process's CPU per submission: far less swayed by the machine's load than its rate.
  const cpuPerRequest: Record<'off' | 'on', number[]> = { off: [], on: [] };
  try {
    const post = (url: string, s: number): Promise<LoadResult> =>
      load({ url: `${url}/v1/models`, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' }, connections, seconds: s });
    // Warm both (JIT, connection pools) before anything is counted.
    await post(sides.off.url, 2);
    await post(sides.on.url, 2);
    for (let r = 0; r < rounds; r++) {
      const order: Array<'off' | 'on'> = r % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const side of order) {
        const cpuBefore = processCpuMs(sides[side].pid);
        const res = await post(sides[side].url, seconds);
        const cpu = (processCpuMs(sides[side].pid) - cpuBefore) / res.requests;
        results[side].push(res);
        cpuPerRequest[side].push(cpu);
        log(
          `round ${r + 1} ${side}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50} ms, p99 ${res.p99} ms, API CPU ${(cpu * 1000).toFixed(0)} µs per submission, non-2xx ${res.non2xx}, errors ${res.errors}`,
        );
      }
    }
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await sink.close();
    await redis.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }

  // Each round measured both sides, in alternating order: the geometric mean of the rounds' on/off
  // ratios cancels a drift of the machine's speed across the run, which medians of each side do not.
  const paired = (f: (side: 'off' | 'on', i: number) => number): number => Math.exp(mean(results.on.map((_, i) => Math.log(f('on', i) / f('off', i)))));
  const rps = (side: 'off' | 'on'): number => median(results[side].map((r) => r.rps));
  const p50 = (side: 'off' | 'on'): number => median(results[side].map((r) => r.p50));
  const p99 = (side: 'off' | 'on'): number => median(results[side].map((r) => r.p99));
  const posted = results.on.reduce((n, r) => n + r.requests, 0);
  const cpu = (side: 'off' | 'on'): number => median(cpuPerRequest[side]) * 1000;
  const rows: Row[] = [
    {
      bench: 'tracing',
      metric: 'API CPU per submission, tracing on vs off',
      value: cpu('on'),
      unit: 'µs',
      baseline: cpu('off'),
      baselineName: 'tracing off',
      ratio: paired((side, i) => cpuPerRequest[side][i]!),
      note: "user + system time of the API process over each round, divided by its submissions; medians of the rounds; the ratio is the geometric mean of the rounds' on/off ratios (sides alternate which goes first)",
    },
    {
      bench: 'tracing',
      metric: `POST /v1/models rate, tracing on vs off (${connections} conns)`,
      value: rps('on'),
      unit: 'req/s',
      baseline: rps('off'),
      baselineName: 'tracing off',
      ratio: paired((side, i) => results[side][i]!.rps),
    },
    { bench: 'tracing', metric: 'POST /v1/models p50, on vs off', value: p50('on'), unit: 'ms', baseline: p50('off'), baselineName: 'tracing off', ratio: paired((side, i) => results[side][i]!.p50) },
    { bench: 'tracing', metric: 'POST /v1/models p99, on vs off', value: p99('on'), unit: 'ms', baseline: p99('off'), baselineName: 'tracing off', ratio: paired((side, i) => results[side][i]!.p99) },
    { bench: 'tracing', metric: 'a span while tracing is off, over the bare call', value: spanNs - bareNs, unit: 'ns', note: `inSpan around an async step; the bare call ${bareNs.toFixed(0)} ns` },
    { bench: 'tracing', metric: 'annotate() while tracing is off', value: annotateNs, unit: 'ns' },
  ];
  const title = `modelrun tracing bench: ${rounds} rounds of ${seconds} s per side, ${((Date.now() - started) / 1000).toFixed(0)} s, ${machine.cores} cores ${machine.cpu}, node ${machine.node}, load ${machine.loadAverage.join(' ')} at the start, ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end`;
  process.stdout.write(`\n${renderTable(title, rows)}\n`);
  process.stdout.write(
    `\nthe receiver got ${sink.spans} spans in ${sink.requests} requests (${(sink.bytes / 1024 / 1024).toFixed(1)} MiB) for ${posted} submissions with tracing on: ${JSON.stringify(sink.names)}\n`,
  );
  const path = writeResults(join(__dirname, 'results'), 'tracing', {
    mode: 'tracing',
    config: { seconds, rounds, connections, calls },
    machine,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    loadAverageEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    rows,
    raw: {
      results,
      cpuPerRequestMs: cpuPerRequest,
      noop: { bareNs, spanNs, annotateNs },
      sink: { spans: sink.spans, byName: sink.names, requests: sink.requests, bytes: sink.bytes },
      submissionsTraced: posted,
    },
  });
  process.stdout.write(`\nresults: ${path}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
