/**
 * npm run bench:isolation [-- --runs 12 --batch 16 --rounds 2]
 *
 * What more isolation costs a run, side by side in one run: the same worker and model under
 * runc (the engine's default), under gVisor (RUN_RUNTIME=runsc) and on an engine with
 * user-namespace remapping. Each setup is measured for a run's latency (POST -> score visible,
 * one run at a time) and for throughput (a batch at 4 slots); setups are interleaved round by
 * round so machine drift hits all alike. Both engines are test engines on this machine, so the
 * main engine's configuration is never touched. Prints a table; writes
 * bench/results/<time>-isolation.json.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type RunView, isFinal } from '@modelrun/contracts';
import { TestEngine } from '../test/helpers/docker-engine';
import { type AppProcess, spawnApp } from '../test/helpers/processes';
import { startStack } from '../test/helpers/stack';
import { buildFixtures, fixture } from '../test/fixtures/images';
import { startBenchRedis } from './lib/redis';
import { machineInfo, writeResults } from './lib/results';
import { median, nowMs, percentile } from './lib/stats';
import { type Row, renderTable } from './lib/table';

interface Setup {
  name: string;
  engine: 'runsc-registered' | 'userns';
  env: Record<string, string>;
}

const SETUPS: Setup[] = [
  { name: 'runc (the default)', engine: 'runsc-registered', env: {} },
  { name: 'gVisor (RUN_RUNTIME=runsc)', engine: 'runsc-registered', env: { RUN_RUNTIME: 'runsc' } },
  { name: 'userns-remap', engine: 'userns', env: {} },
];

/** Starts, prints, writes its score: the runtime's own work is the whole run. */
const MODEL = fixture('score-json');
const TOKEN = randomBytes(32).toString('hex');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const runs = arg('runs', 12);
  const batch = arg('batch', 16);
  const rounds = arg('rounds', 2);
  const machine = machineInfo();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`isolation bench: ${runs} single runs and a batch of ${batch} per setup, ${rounds} rounds, load ${machine.loadAverage.join(' ')}`);
  await buildFixtures();
  const redis = await startBenchRedis();
  const stack = await startStack({ workers: 0, redisUrl: redis.url, env: { API_TOKENS: TOKEN, LOG_LEVEL: 'info' } });
  const engines = {
    'runsc-registered': await TestEngine.start({ name: 'gvisor', daemonConfig: { runtimes: { runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] } } } }),
    userns: await TestEngine.start({ name: 'userns', daemonConfig: { 'userns-remap': 'default' } }),
  };
  const latency = new Map<string, number[]>();
  const throughput = new Map<string, number[]>();
  const started = Date.now();
  try {
    for (const e of Object.values(engines)) await e.loadImages([MODEL]);
    for (let round = 1; round <= rounds; round++) {
      for (const setup of SETUPS) {
        const worker = await startWorker({ ...stack.env, ...setup.env, DOCKER_HOST: engines[setup.engine].dockerHost });
        try {
          await runOnce(stack.api.url); // the first run pays the image's first look-up
          for (let i = 0; i < runs; i++) {
            const t0 = nowMs();
            await runOnce(stack.api.url);
            latency.set(setup.name, [...(latency.get(setup.name) ?? []), nowMs() - t0]);
          }
          const t0 = nowMs();
          await Promise.all(Array.from({ length: batch }, () => runOnce(stack.api.url)));
          const perSecond = batch / ((nowMs() - t0) / 1000);
          throughput.set(setup.name, [...(throughput.get(setup.name) ?? []), perSecond]);
          log(`round ${round} ${setup.name}: p50 ${median(latency.get(setup.name)!.slice(-runs)).toFixed(0)} ms, ${perSecond.toFixed(2)} runs/s`);
        } finally {
          worker.kill('SIGTERM');
          await worker.exited;
        }
      }
    }
  } finally {
    await stack.stop();
    for (const e of Object.values(engines)) await e.destroy();
    await redis.stop();
  }
  const rows: Row[] = [];
  const base = SETUPS[0]!.name;
  for (const setup of SETUPS) {
    const l = latency.get(setup.name) ?? [];
    const t = median(throughput.get(setup.name) ?? []);
    const vs = setup.name !== base;
    rows.push({
      bench: 'isolation: POST -> score p50',
      metric: setup.name,
      value: median(l),
      unit: 'ms',
      ...(vs && { baseline: median(latency.get(base) ?? []), baselineName: 'runc', ratio: median(l) / median(latency.get(base) ?? []) }),
    });
    rows.push({
      bench: 'isolation: POST -> score p90',
      metric: setup.name,
      value: percentile(
        [...l].sort((a, b) => a - b),
        90,
      ),
      unit: 'ms',
    });
    rows.push({
      bench: `isolation: ${batch} runs at 4 slots`,
      metric: setup.name,
      value: t,
      unit: 'runs/s',
      ...(vs && { baseline: median(throughput.get(base) ?? []), baselineName: 'runc', ratio: t / median(throughput.get(base) ?? []) }),
    });
  }
  const title = `modelrun isolation bench: ${runs} single runs and a batch of ${batch} per setup, ${rounds} rounds, ${((Date.now() - started) / 1000).toFixed(0)} s, ${machine.cores} cores ${machine.cpu}, docker ${machine.docker}, load ${machine.loadAverage.join(' ')}`;
  process.stdout.write(`\n${renderTable(title, rows)}\n`);
  const path = writeResults(join(__dirname, 'results'), 'isolation', {
    runs,
    batch,
    rounds,
    machine,
    startedAt: new Date(started).toISOString(),
    rows,
    latency: Object.fromEntries(latency),
    throughput: Object.fromEntries(throughput),
  });
  process.stdout.write(`\nresults: ${path}\n`);
}

/** Submits the model and long-polls it (`?wait=30`) until it has ended; throws unless it succeeded. */
async function runOnce(api: string): Promise<void> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
  const res = await fetch(`${api}/v1/models`, { method: 'POST', headers, body: JSON.stringify({ image: MODEL, name: 'bench-isolation' }) });
  if (res.status !== 202) throw new Error(`POST /v1/models answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as RunView;
  for (;;) {
    const view = (await (await fetch(`${api}/v1/runs/${id}?wait=30`, { headers })).json()) as RunView;
    if (!isFinal(view.status)) continue;
    if (view.status !== 'succeeded') throw new Error(`run ${id} ${view.status}: ${view.error}`);
    return;
  }
}

async function startWorker(env: Record<string, string>): Promise<AppProcess> {
  const p = spawnApp('worker', { ...env, WORKER_CONCURRENCY: '4', LOG_LEVEL: 'info' });
  await p.waitForLog('worker started', 60_000);
  return p;
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`isolation bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
