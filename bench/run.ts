/**
 * npm run bench [-- --quick] [--only=orchestration,submission,capacity,leaderboard,pulls]
 *
 * Measures modelrun against its physical baselines side by side in the same run (the raw
 * Docker engine, BullMQ's Queue.add, a static http server), because absolute times drift on
 * a shared machine and ratios do not. Prints a table; writes bench/results/<time>-<mode>.json
 * (commit the one a published figure comes from; npm run bench:readme renders it into bench/README.md).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { leaderboardBench } from './leaderboard';
import { parseArgs } from './lib/config';
import { startBenchRedis } from './lib/redis';
import { closeAgent } from './lib/http-loop';
import { machineInfo, writeResults } from './lib/results';
import { type Row, renderTable } from './lib/table';
import { orchestrationBench } from './orchestration';
import { capacityBench } from './capacity';
import { submissionBench } from './submission';
import { pullsBench } from './pulls';

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  const machine = machineInfo();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`modelrun bench (${cfg.quick ? 'quick' : 'full'}) on ${machine.cores} x ${machine.cpu}, ${machine.memoryGiB} GiB, load ${machine.loadAverage.join(' ')}`);
  const redis = await startBenchRedis();
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const started = Date.now();
  try {
    if (cfg.only.has('orchestration')) {
      const r = await orchestrationBench(cfg.orchestration, redis.url, log);
      rows.push(...r.rows);
      raw.orchestration = r.raw;
    }
    if (cfg.only.has('submission')) {
      const r = await submissionBench(cfg.submission, redis.url, log);
      rows.push(...r.rows);
      raw.submission = r.raw;
    }
    if (cfg.only.has('capacity')) {
      const r = await capacityBench(cfg.capacity, redis.url, log);
      rows.push(...r.rows);
      raw.capacity = r.raw;
    }
    if (cfg.only.has('pulls')) {
      const r = await pullsBench(cfg.pulls, redis.url, log);
      rows.push(...r.rows);
      raw.pulls = r.raw;
    }
    if (cfg.only.has('leaderboard')) {
      const r = await leaderboardBench(cfg.leaderboard, redis.url, log);
      rows.push(...r.rows);
      raw.leaderboard = r.sizes;
    }
  } finally {
    closeAgent();
    await redis.stop();
  }
  const mode = cfg.quick ? 'quick' : 'full';
  const title = `modelrun benchmarks: ${mode} mode${cfg.quick ? ' (smaller N, 1k/10k records only)' : ''}, ${((Date.now() - started) / 1000).toFixed(0)} s, ${machine.cores} cores ${machine.cpu}, node ${machine.node}, docker ${machine.docker}, load ${machine.loadAverage.join(' ')} at the start, ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end`;
  const table = renderTable(title, rows);
  process.stdout.write(`\n${table}\n`);
  const breakdown = (raw.orchestration as { breakdownText?: string } | undefined)?.breakdownText;
  if (breakdown) process.stdout.write(`\n${breakdown}\n`);
  const path = writeResults(join(__dirname, 'results'), mode, {
    mode,
    config: { ...cfg, only: [...cfg.only] },
    machine,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    loadAverageEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    rows,
    raw,
  });
  process.stdout.write(`\nresults: ${path}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
