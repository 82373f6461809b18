import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RUN_JOB, type RunJobData, newRunId } from '@modelrun/contracts';
import { createRunQueue, runJobOptions } from '@modelrun/queue';
import { startApiProcess } from './lib/api-process';
import { startBareExpress } from './lib/bare-express-process';
import { processCpuMs } from './lib/process-cpu';
import { type LoadResult, load } from './lib/cannon';
import { commandCounts, perUnit } from './lib/redis-calls';
import type { BenchConfig } from './lib/config';
import { mean, nowMs, summarize } from './lib/stats';
import type { Row } from './lib/table';

const IMAGE = 'registry.example/team/bench-model:v1';
const BODY = JSON.stringify({ image: IMAGE, name: 'bench-model' });
// What the API applies when a request names no limits (the config defaults).
const LIMITS = { timeoutSeconds: 600, memoryMb: 1024, cpus: 1, gpus: 0 };
const RETRY = { attempts: 5, backoffMs: 2_000 };

/**
 * The baseline: what the API does for a submission minus HTTP, validation and the API itself:
 * BullMQ's Queue.add with the same payload and job options, `connections` at once, for the
 * same time.
 */
async function directAdds(redisUrl: string, prefix: string, connections: number, seconds: number): Promise<LoadResult> {
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
  conn.on('error', () => undefined);
  const queue = createRunQueue(conn, prefix);
  const latencies: number[] = [];
  let errors = 0;
  const t0 = nowMs();
  const until = t0 + seconds * 1000;
  const lane = async (): Promise<void> => {
    while (nowMs() < until) {
      const started = nowMs();
      const data: RunJobData = { id: newRunId(), name: 'bench-model', image: IMAGE, limits: LIMITS, createdAt: new Date().toISOString() };
      try {
        await queue.add(RUN_JOB, data, runJobOptions(data.id, RETRY));
        latencies.push(nowMs() - started);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, lane));
  const elapsed = (nowMs() - t0) / 1000;
  await queue.close();
  conn.disconnect();
  const s = summarize(latencies);
  return { rps: latencies.length / elapsed, p50: s.p50, p90: s.p90, p99: s.p99, requests: latencies.length, non2xx: 0, errors, seconds: elapsed };
}

/** A load's CPU time per request (µs), from the serving process's CPU time before and after it. */
async function timedCpu(pid: number, run: () => Promise<LoadResult>): Promise<{ result: LoadResult; usPerRequest: number }> {
  const before = processCpuMs(pid);
  const result = await run();
  return { result, usPerRequest: ((processCpuMs(pid) - before) * 1000) / Math.max(1, result.requests) };
}

async function obliterate(redisUrl: string, prefix: string): Promise<void> {
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  conn.on('error', () => undefined);
  const queue = createRunQueue(conn, prefix);
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  const keys = await conn.keys(`${prefix}:*`);
  if (keys.length) await conn.del(...keys);
  conn.disconnect();
}

export async function submissionBench(cfg: BenchConfig['submission'], redisUrl: string, log: (s: string) => void): Promise<{ rows: Row[]; raw: unknown }> {
  const apiPrefix = `bs${randomBytes(4).toString('hex')}`;
  const basePrefix = `bq${randomBytes(4).toString('hex')}`;
  const bareAddPrefix = `bx${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'modelrun-bench-sub-'));
  const api = await startApiProcess({
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: apiPrefix,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    // The default 600 a minute per caller would measure the limiter, not the API.
    RATE_LIMIT_PER_MINUTE: '0',
    INDEX_RESCAN_SECONDS: '0',
  });
  const bare = await startBareExpress();
  // The ceiling for any API that enqueues through BullMQ: bare Express plus Queue.add.
  const bareAdd = await startBareExpress({ redisUrl, prefix: bareAddPrefix });
  const viaApi: LoadResult[] = [];
  const direct: LoadResult[] = [];
  const viaBare: LoadResult[] = [];
  const viaBareAdd: LoadResult[] = [];
  const apiRedis: ReturnType<typeof perUnit>[] = [];
  // Each server's CPU time per request, by round (µs).
  const cpu = { api: [] as number[], bare: [] as number[], bareAdd: [] as number[] };
  const post = (url: string, seconds: number): Promise<LoadResult> =>
    load({ url: `${url}/v1/models`, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' }, connections: cfg.connections, seconds });
  try {
    // Warm every path (JIT, connections, Lua scripts loaded) before anything is timed.
    await post(api.ready.url, 1);
    await post(bare.url, 1);
    await post(bareAdd.url, 1);
    await directAdds(redisUrl, basePrefix, cfg.connections, 1);
    for (let round = 0; round < cfg.rounds; round++) {
      const b = await directAdds(redisUrl, basePrefix, cfg.connections, cfg.seconds);
      direct.push(b);
      log(`submission round ${round + 1}: Queue.add ${b.rps.toFixed(0)}/s p99 ${b.p99.toFixed(1)} ms (load ${loadavg()[0]!.toFixed(2)})`);
      const { result: e, usPerRequest: bareUs } = await timedCpu(bare.pid, () => post(bare.url, cfg.seconds));
      viaBare.push(e);
      cpu.bare.push(bareUs);
      log(`submission round ${round + 1}: bare Express ${e.rps.toFixed(0)}/s p99 ${e.p99} ms`);
      // Nothing else talks to Redis during the API's round: the difference is the API's work.
      const before = await commandCounts(redisUrl);
      const { result: a, usPerRequest: apiUs } = await timedCpu(api.pid, () => post(api.ready.url, cfg.seconds));
      const redis = perUnit(before, await commandCounts(redisUrl), a.requests);
      viaApi.push(a);
      cpu.api.push(apiUs);
      apiRedis.push(redis);
      log(
        `submission round ${round + 1}: POST /v1/models ${a.rps.toFixed(0)}/s p99 ${a.p99} ms (non-2xx ${a.non2xx}, errors ${a.errors}); Redis per POST: ${redis.scripts} script calls, ${redis.commands} commands`,
      );
      const { result: q, usPerRequest: bareAddUs } = await timedCpu(bareAdd.pid, () => post(bareAdd.url, cfg.seconds));
      viaBareAdd.push(q);
      cpu.bareAdd.push(bareAddUs);
      log(
        `submission round ${round + 1}: bare Express + Queue.add ${q.rps.toFixed(0)}/s p99 ${q.p99} ms (load ${loadavg()[0]!.toFixed(2)}); CPU per request: API ${apiUs.toFixed(0)} µs, bare Express + Queue.add ${bareAddUs.toFixed(0)} µs, bare Express ${bareUs.toFixed(0)} µs`,
      );
    }
  } finally {
    await Promise.all([api.stop(), bare.stop(), bareAdd.stop()]);
    await Promise.all([obliterate(redisUrl, apiPrefix), obliterate(redisUrl, basePrefix), obliterate(redisUrl, bareAddPrefix)]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const apiRps = mean(viaApi.map((r) => r.rps));
  const baseRps = mean(direct.map((r) => r.rps));
  const bareRps = mean(viaBare.map((r) => r.rps));
  const bareAddRps = mean(viaBareAdd.map((r) => r.rps));
  const worst = (rs: LoadResult[], k: 'p50' | 'p90' | 'p99'): number => Math.max(...rs.map((r) => r[k]));
  const failed = viaApi.reduce((s, r) => s + r.non2xx + r.errors, 0);
  // Issue 15's targets: >= 0.8x of bare Express, p99 < 50 ms at 16 connections.
  const rows: Row[] = [
    {
      bench: 'submission',
      metric: `POST /v1/models vs bare Express (${cfg.connections} conns)`,
      value: apiRps,
      unit: 'req/s',
      baseline: bareRps,
      baselineName: 'bare Express, same JSON, 202',
      ratio: apiRps / bareRps,
      target: '>= 0.8x',
      pass: apiRps / bareRps >= 0.8 && failed === 0,
      note: `bare Express: express.json() and a 202, in its own process, rounds interleaved with the API's; its worst p99 ${worst(viaBare, 'p99')} ms; ${failed} non-2xx or errors from the API; rate limit off; Redis AOF appendfsync everysec; Redis per POST, by round: ${apiRedis.map((r) => r.scripts).join(', ')} script calls (each a round trip), ${apiRedis.map((r) => r.commands).join(', ')} commands (with those the scripts run and the event listener's XREAD)`,
    },
    {
      bench: 'submission',
      metric: `bare Express + Queue.add vs bare Express (${cfg.connections} conns)`,
      value: bareAddRps,
      unit: 'req/s',
      baseline: bareRps,
      baselineName: 'bare Express, same JSON, 202',
      ratio: bareAddRps / bareRps,
      note: `the ceiling for any API that enqueues through BullMQ before its 202: bare Express that also does Queue.add (own process, producer connection as the API's); the API reaches ${((100 * apiRps) / bareAddRps).toFixed(0)}% of it; its worst p99 ${worst(viaBareAdd, 'p99')} ms`,
    },
    {
      bench: 'submission',
      metric: `POST /v1/models rate (${cfg.connections} conns)`,
      value: apiRps,
      unit: 'req/s',
      baseline: baseRps,
      baselineName: 'Queue.add direct',
      ratio: apiRps / baseRps,
      note: `Queue.add direct: ${cfg.connections} lanes in the bench's own process, no HTTP; worst of ${viaApi.length} round(s)' percentiles below`,
    },
    {
      bench: 'submission',
      metric: `CPU per POST vs bare Express + Queue.add (${cfg.connections} conns)`,
      value: mean(cpu.api),
      unit: 'µs',
      baseline: mean(cpu.bareAdd),
      baselineName: 'bare Express + Queue.add',
      ratio: mean(cpu.api) / mean(cpu.bareAdd),
      note: `each server process's own CPU time (/proc/<pid>/stat, user + system) over its measured rounds, per request answered; by round: API ${cpu.api.map((v) => v.toFixed(0)).join(', ')} µs, bare Express + Queue.add ${cpu.bareAdd.map((v) => v.toFixed(0)).join(', ')} µs, bare Express ${cpu.bare.map((v) => v.toFixed(0)).join(', ')} µs`,
    },
  ];
  return { rows, raw: { viaApi, apiRedis, direct, viaBare, viaBareAdd, cpu, connections: cfg.connections, seconds: cfg.seconds } };
}
