/**
 * npm run bench:fleet [-- --runs 24 --rounds 3]
 *
 * Throughput of one batch of runs on one engine against two engines (two worker hosts sharing
 * one Redis and one volume), in the same run, configurations interleaved round by round so
 * machine drift hits all alike. On one machine both engines share its cores: the figure says
 * what a second engine buys when the engine, not the CPU, is the ceiling, and nothing more.
 * Prints a table; writes bench/results/<time>-fleet.json.
 */
import { join } from 'node:path';
import { TestEngine } from '../test/helpers/docker-engine';
import { type AppProcess, spawnApp } from '../test/helpers/processes';
import { startStack } from '../test/helpers/stack';
import { fixture } from '../test/fixtures/images';
import { type RunView, isFinal } from '@modelrun/contracts';
import { startBenchRedis } from './lib/redis';
import { machineInfo, writeResults } from './lib/results';
import { median, nowMs } from './lib/stats';
import { type Row, renderTable } from './lib/table';

interface Setup {
  name: string;
  /** Worker processes per host, and slots per worker. */
  hosts: ('a' | 'b')[];
  concurrency: number;
}

const SETUPS: Setup[] = [
  { name: '1 engine, 1 worker x 4 slots', hosts: ['a'], concurrency: 4 },
  { name: '2 engines, 1 worker x 2 slots each (same 4 slots)', hosts: ['a', 'b'], concurrency: 2 },
  { name: '2 engines, 1 worker x 4 slots each (a host added)', hosts: ['a', 'b'], concurrency: 4 },
];

const MODELS = [
  // Starts, prints, writes its score: the engine's own work is the whole run.
  { image: fixture('score-json'), what: 'instant model' },
  // Sleeps 3 s: slots, not the engine, bound it.
  { image: fixture('short-sleep'), what: '3 s model' },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const runs = arg('runs', 24);
  const rounds = arg('rounds', 3);
  const machine = machineInfo();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`fleet bench: ${runs} runs a batch, ${rounds} rounds, ${machine.cores} x ${machine.cpu}, load ${machine.loadAverage.join(' ')}`);
  const redis = await startBenchRedis();
  process.env.REDIS_URL = redis.url;
  const stack = await startStack({ workers: 0, redisUrl: redis.url, env: { WORKER_RECONCILE_SECONDS: '0', LOG_LEVEL: 'info' } });
  const b = await TestEngine.start({ name: 'bench' });
  const api = stack.api.url;
  const samples = new Map<string, number[]>();
  const started = Date.now();
  try {
    await b.loadImages(MODELS.map((m) => m.image));
    for (let round = 1; round <= rounds; round++) {
      for (const model of MODELS) {
        for (const setup of SETUPS) {
          const workers = await Promise.all(setup.hosts.map((h) => startWorker(stack.env, h, setup.concurrency, b)));
          const t0 = nowMs();
          const ids = await Promise.all(Array.from({ length: runs }, () => submit(api, model.image)));
          const ended = await Promise.all(ids.map((id) => waitEnded(api, id)));
          const perSecond = runs / ((nowMs() - t0) / 1000);
          const bad = ended.filter((v) => v.status !== 'succeeded');
          if (bad.length) throw new Error(`${bad.length} runs did not succeed: ${JSON.stringify(bad[0])}`);
          const onB = workers.filter((w) => w.host === 'b').reduce((n, w) => n + w.p.lines.filter((l) => l.message === 'run recorded').length, 0);
          log(`round ${round} ${model.what}, ${setup.name}: ${perSecond.toFixed(2)} runs/s (${onB} of ${runs} on engine b)`);
          const key = `${model.what}|${setup.name}`;
          samples.set(key, [...(samples.get(key) ?? []), perSecond]);
          for (const w of workers) w.p.kill('SIGTERM');
          await Promise.all(workers.map((w) => w.p.exited));
        }
      }
    }
  } finally {
    await stack.stop();
    await b.destroy();
    await redis.stop();
  }
  const rows: Row[] = [];
  for (const model of MODELS) {
    const base = median(samples.get(`${model.what}|${SETUPS[0]!.name}`) ?? []);
    for (const setup of SETUPS) {
      const value = median(samples.get(`${model.what}|${setup.name}`) ?? []);
      rows.push({ bench: `fleet: ${model.what}`, metric: setup.name, value, unit: 'runs/s', ...(setup !== SETUPS[0] && { baseline: base, baselineName: '1 engine', ratio: value / base }) });
    }
  }
  const title = `modelrun fleet bench: ${runs} runs a batch, median of ${rounds} rounds, ${((Date.now() - started) / 1000).toFixed(0)} s, ${machine.cores} cores ${machine.cpu} shared by both engines, docker ${machine.docker}, load ${machine.loadAverage.join(' ')}`;
  process.stdout.write(`\n${renderTable(title, rows)}\n`);
  const path = writeResults(join(__dirname, 'results'), 'fleet', { runs, rounds, machine, startedAt: new Date(started).toISOString(), rows, samples: Object.fromEntries(samples) });
  process.stdout.write(`\nresults: ${path}\n`);
}

/** POST a run (fetch: its pool reconnects on its own after the pauses between setups). */
async function submit(api: string, image: string): Promise<string> {
  const res = await fetch(`${api}/v1/models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image, name: 'bench-fleet' }) });
  if (res.status !== 202) throw new Error(`POST /v1/models answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as RunView).id;
}

/** Long-polls the run (`?wait=30`) until it has ended. */
async function waitEnded(api: string, id: string): Promise<RunView> {
  for (;;) {
    const view = (await (await fetch(`${api}/v1/runs/${id}?wait=30`)).json()) as RunView;
    if (isFinal(view.status)) return view;
  }
}

async function startWorker(env: Record<string, string>, host: 'a' | 'b', concurrency: number, b: TestEngine): Promise<{ host: 'a' | 'b'; p: AppProcess }> {
  const p = spawnApp('worker', { ...env, WORKER_CONCURRENCY: String(concurrency), LOG_LEVEL: 'info', ...(host === 'b' && { DOCKER_HOST: b.dockerHost }) });
  await p.waitForLog('worker started', 60_000);
  return { host, p };
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`fleet bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
