/**
 * Control-plane capacity (issue 15, target 3): runs a second through the whole control plane —
 * POST /v1/models → queue → worker → record on the volume → final in the API's index — with
 * the container work replaced by the unit tests' FakeRunner (every step answers at once), so
 * only modelrun's own cost is left. Baseline, on the same Redis in the same run, rounds
 * interleaved: BullMQ's own rate for no-op jobs (Queue.add in the same lanes, a Worker with the
 * same concurrency whose processor returns at once).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadWorkerConfig } from '@modelrun/config';
import { isFinal } from '@modelrun/contracts';
import type { RunSummary } from '@modelrun/leaderboard';
import { startWorker } from '@modelrun/worker';
import { FakeRunner } from '../test/unit/worker/fake-runner';
import { testLogger } from '../test/helpers/logger';
import { startStack } from '../test/helpers/stack';
import type { BenchConfig } from './lib/config';
import { postJson } from './lib/http-loop';
import { profiled } from './lib/profile';
import { type CommandStats, callsOf, commandStats, perUnit, redisCpuMicros } from './lib/redis-calls';
import { censusDuring, costPerUnit, formatBreakdown, scriptNames } from './lib/redis-breakdown';
import { mean, nowMs } from './lib/stats';
import type { Row } from './lib/table';

const IMAGE = 'registry.example/team/capacity-model:v1';
/** How long each of the lasting runs (and the baseline's held jobs) runs. */
const LONG_RUN_MS = 5000;

/** Runs `task` n times over `lanes` sequential lanes. */
async function inLanes(n: number, lanes: number, task: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next++ < n) await task();
    }),
  );
}

interface BullmqDrive {
  lanes: number;
  concurrency: number;
  /** Wraps the measured part (from the first add to the last completion heard). */
  counted?: (work: () => Promise<void>) => Promise<void>;
  /** `noop`: a plain add, a processor that returns nothing. `run`: see bullmqJobs. Default noop. */
  life?: 'noop' | 'run';
  /** How long each job's processor holds it (default 0). */
  holdMs?: number;
  /** Adds at most this many jobs a second (default: flat out). */
  rate?: number;
}

/** Waits until the `k`th of a paced series is due (`rate` a second from `t0`). */
async function due(t0: number, k: number, rate: number): Promise<void> {
  const wait = t0 + (k * 1000) / rate - nowMs();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/**
 * BullMQ alone: n jobs added in `lanes`, done when the worker has completed them all. `run`: a
 * BullMQ job with a run's life and nothing of modelrun's: added with a priority (every run has
 * one), watched by a QueueEvents listener (the API has one: it is how a run's state reaches it),
 * completed with a run's small result. Paced (`rate`), job k is added no sooner than k / rate
 * seconds in: Redis then sees the jobs as it sees modelrun's runs, a few at a time, and cannot
 * spread the cost of each read, write and wake-up over a crowd of pipelined commands.
 */
async function bullmqJobs(redisUrl: string, n: number, d: BullmqDrive): Promise<number> {
  const { lanes, concurrency, counted, life = 'noop', holdMs = 0, rate } = d;
  const prefix = `bc${randomBytes(4).toString('hex')}`;
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection: conn, prefix });
  const events = life === 'run' ? new QueueEvents('noop', { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix }) : undefined;
  let heard = 0;
  events?.on('completed', () => void heard++);
  if (events) await events.waitUntilReady();
  let completed = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (allDone = r));
  const processor =
    life === 'run'
      ? async (job: { id?: string }) => {
          if (holdMs) await new Promise((r) => setTimeout(r, holdMs));
          return { id: job.id, name: 'capacity', status: 'succeeded', score: 0.5 };
        }
      : async () => undefined;
  const worker = new Worker('noop', processor, { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency });
  worker.on('completed', () => {
    if (++completed === n) allDone();
  });
  try {
    await worker.waitUntilReady();
    let t0 = 0;
    let i = 0;
    const work = async (): Promise<void> => {
      t0 = nowMs();
      const opts = { removeOnComplete: 1000, removeOnFail: 1000, ...(life === 'run' && { priority: 3 }) };
      await inLanes(n, lanes, async () => {
        const k = i++;
        if (rate) await due(t0, k, rate);
        await queue.add('noop', { i: k }, opts);
      });
      await done;
      // Until the listener has read every completion, as the API's index must.
      while (events && heard < n) await new Promise((r) => setTimeout(r, 1));
    };
    await (counted ? counted(work) : work());
    return n / ((nowMs() - t0) / 1000);
  } finally {
    await worker.close();
    await events?.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    conn.disconnect();
  }
}

export async function capacityBench(cfg: BenchConfig['capacity'], redisUrl: string, log: (s: string) => void): Promise<{ rows: Row[]; raw: unknown }> {
  const C = cfg.concurrency;
  const stack = await startStack({ workers: 0, redisUrl, env: { WORKER_CONCURRENCY: String(C) } });
  try {
    const runner = new FakeRunner();
    stack.workers.push(await startWorker(loadWorkerConfig(stack.env), testLogger('worker'), { runner }));
    // When the API's index first holds each run as final: from then on GET shows its score.
    let finals = 0;
    let target = Number.POSITIVE_INFINITY;
    let reached: () => void = () => undefined;
    const index = stack.api.index;
    const upsert = index.upsert.bind(index);
    const counted = new Set<string>();
    index.upsert = (s: RunSummary): boolean => {
      const changed = upsert(s);
      if (isFinal(s.status) && !counted.has(s.id)) {
        counted.add(s.id);
        if (++finals >= target) reached();
      }
      return changed;
    };
    const modelrun = async (n: number, name: string): Promise<number> => {
      finals = 0;
      counted.clear();
      target = n;
      const all = new Promise<void>((r) => (reached = r));
      const t0 = nowMs();
      await inLanes(n, cfg.lanes, async () => {
        const res = await postJson(`${stack.api.url}/v1/models`, { image: IMAGE, name });
        if (res.status !== 202) throw new Error(`POST /v1/models answered ${res.status}: ${res.body.toString()}`);
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${finals} of ${n} runs final after 300 s`)), 300_000)))]);
      clearTimeout(timer);
      const rate = n / ((nowMs() - t0) / 1000);
      // Not timed: every run succeeded, as the API tells it.
      const res = await stack.http.get(`/v1/models/${name}?limit=1000`);
      const model = res.body as { runCount?: number; runs?: { status: string }[] };
      if (model.runCount !== n) throw new Error(`the API counts ${model.runCount} runs of ${name}, not ${n}`);
      if (model.runs?.some((r) => r.status !== 'succeeded')) throw new Error(`a capacity run did not succeed: ${JSON.stringify(model.runs.find((r) => r.status !== 'succeeded'))}`);
      return rate;
    };

    log(`capacity: warming up`);
    await bullmqJobs(redisUrl, 50, { lanes: cfg.lanes, concurrency: C });
    await modelrun(20, 'capacity-warmup');
    const base: number[] = [];
    const mr: number[] = [];
    let redisPerJob: ReturnType<typeof perUnit> | undefined;
    let redisPerRun: ReturnType<typeof perUnit> | undefined;
    let redisPerLife: ReturnType<typeof perUnit> | undefined;
    let redisPerPaced: ReturnType<typeof perUnit> | undefined;
    // Redis CPU in µs per no-op job, per job with a run's life (flat out, and paced at the
    // round's modelrun rate), and per run, each round.
    const cpuPerJob: number[] = [];
    const cpuPerLife: number[] = [];
    const cpuPerPaced: number[] = [];
    const pacedRates: number[] = [];
    const cpuPerRun: number[] = [];
    let runStats: [CommandStats, CommandStats] | undefined;
    // Measures `work` over `units`: Redis CPU per unit into `cpu`, the command counts returned.
    const measured = async (units: number, cpu: number[], work: () => Promise<unknown>): Promise<{ counts: ReturnType<typeof perUnit>; stats: [CommandStats, CommandStats] }> => {
      const s0 = await commandStats(redisUrl);
      const u0 = await redisCpuMicros(redisUrl);
      await work();
      cpu.push(((await redisCpuMicros(redisUrl)) - u0) / units);
      const s1 = await commandStats(redisUrl);
      return { counts: perUnit(callsOf(s0), callsOf(s1), units), stats: [s0, s1] };
    };
    for (let round = 0; round < cfg.rounds; round++) {
      await bullmqJobs(redisUrl, cfg.runs, { lanes: cfg.lanes, concurrency: C, life: 'run', counted: async (work) => void (redisPerLife = (await measured(cfg.runs, cpuPerLife, work)).counts) });
      base.push(await bullmqJobs(redisUrl, cfg.runs, { lanes: cfg.lanes, concurrency: C, counted: async (work) => void (redisPerJob = (await measured(cfg.runs, cpuPerJob, work)).counts) }));
      let rate = 0;
      // Includes the untimed check of the API's answer afterwards (one GET, no Redis).
      const run = await measured(cfg.runs, cpuPerRun, async () => (rate = await profiled(`capacity-modelrun-${round}`, () => modelrun(cfg.runs, `capacity-${round}`))));
      mr.push(rate);
      redisPerRun = run.counts;
      runStats = run.stats;
      // The same job life at the rate modelrun just achieved: the fair baseline for Redis CPU.
      pacedRates.push(rate);
      await bullmqJobs(redisUrl, cfg.runs, {
        lanes: cfg.lanes,
        concurrency: C,
        life: 'run',
        rate,
        counted: async (work) => void (redisPerPaced = (await measured(cfg.runs, cpuPerPaced, work)).counts),
      });
      log(`capacity round ${round + 1}/${cfg.rounds}: BullMQ no-op ${base.at(-1)!.toFixed(0)} jobs/s, modelrun ${mr.at(-1)!.toFixed(1)} runs/s`);
      log(
        `  Redis per no-op job: ${redisPerJob!.scripts} scripts, ${redisPerJob!.commands} commands, ${cpuPerJob.at(-1)!.toFixed(0)} µs CPU; per job with a run's life: ${redisPerLife!.scripts} scripts, ${redisPerLife!.commands} commands, ${cpuPerLife.at(-1)!.toFixed(0)} µs CPU flat out, ${cpuPerPaced.at(-1)!.toFixed(0)} µs paced at ${rate.toFixed(1)}/s; per run: ${redisPerRun.scripts} scripts, ${redisPerRun.commands} commands, ${cpuPerRun.at(-1)!.toFixed(0)} µs CPU`,
      );
    }
    // What Redis spends with nothing submitted (the stack's and the baseline's idle pollers,
    // Redis's own timers): a paced batch lasts as long as modelrun's, so both carry it alike.
    const idleMs = 3000;
    const idle0 = await redisCpuMicros(redisUrl);
    await new Promise((r) => setTimeout(r, idleMs));
    const idlePerSecond = ((await redisCpuMicros(redisUrl)) - idle0) / (idleMs / 1000);
    log(`  Redis CPU idle, the stack up: ${idlePerSecond.toFixed(0)} µs/s (${(idlePerSecond / mean(pacedRates)).toFixed(0)} µs per run or paced job at their rate)`);
    // Who sends what, per run: a batch of its own under MONITOR (which costs Redis time itself).
    const censusRuns = Math.min(cfg.runs, 50);
    const census = await censusDuring(redisUrl, censusRuns, scriptNames(join(__dirname, '..')), async () => void (await modelrun(censusRuns, 'capacity-census')));
    const runCost = costPerUnit(runStats![0], runStats![1], cfg.runs, census.inScripts);
    const breakdown = formatBreakdown(cpuPerRun.at(-1)!, runCost, census);
    for (const line of breakdown) log(line);
    const cpuRun = mean(cpuPerRun);
    const cpuJob = mean(cpuPerJob);
    const cpuLife = mean(cpuPerLife);
    const cpuPaced = mean(cpuPerPaced);
    const cpuRatio = cpuRun / cpuPaced;
    // Runs that last: what a run costs Redis per second it runs (lock renewals, the worker's
    // heartbeat and lease shared by its slots, anything that polls), against the BullMQ job with
    // a run's life held as long. 2 x C runs of LONG_RUN_MS each, all slots busy.
    const longN = 2 * C;
    let cpuLongJob = 0;
    log(`capacity: ${longN} runs of ${LONG_RUN_MS / 1000} s each, and as many BullMQ jobs held as long`);
    await bullmqJobs(redisUrl, longN, {
      lanes: cfg.lanes,
      concurrency: C,
      life: 'run',
      holdMs: LONG_RUN_MS,
      counted: async (work) => {
        const u0 = await redisCpuMicros(redisUrl);
        await work();
        cpuLongJob = ((await redisCpuMicros(redisUrl)) - u0) / longN;
      },
    });
    runner.script.runMs = LONG_RUN_MS;
    const u2 = await redisCpuMicros(redisUrl);
    await modelrun(longN, 'capacity-long');
    const cpuLongRun = ((await redisCpuMicros(redisUrl)) - u2) / longN;
    runner.script.runMs = undefined;
    const perSecond = (long: number, instant: number): number => Math.max(0, long - instant) / (LONG_RUN_MS / 1000);
    const runPerSecond = perSecond(cpuLongRun, cpuRun);
    const jobPerSecond = perSecond(cpuLongJob, cpuLife);
    const minuteRun = cpuRun + 60 * runPerSecond;
    const minuteJob = cpuLife + 60 * jobPerSecond;
    log(
      `  Redis CPU per ${LONG_RUN_MS / 1000} s run ${cpuLongRun.toFixed(0)} µs (${runPerSecond.toFixed(1)} µs per second it runs); per job held as long ${cpuLongJob.toFixed(0)} µs (${jobPerSecond.toFixed(1)} µs/s)`,
    );
    // What one Redis core carries: runs/s at 100 % of a core, and hosts of one-minute runs at two slots each.
    const ceiling = 1e6 / cpuRun;
    const hosts = ((1e6 / minuteRun) * 60) / 2;
    const ratio = mean(mr) / mean(base);
    const rows: Row[] = [
      {
        bench: 'capacity',
        metric: `control plane, ${cfg.runs} instant runs x ${cfg.rounds}`,
        value: mean(mr),
        unit: 'runs/s',
        baseline: mean(base),
        baselineName: 'BullMQ no-op jobs',
        ratio,
        target: '>= 0.5x',
        pass: ratio >= 0.5,
        note: `POST in ${cfg.lanes} lanes -> final in the API's index; one worker of ${C} slots on the unit tests' FakeRunner; API, worker, client and BullMQ baseline share one Node process; rounds interleaved`,
      },
      {
        bench: 'capacity',
        metric: 'Redis CPU per run, whole life',
        value: cpuRun,
        unit: 'µs',
        baseline: cpuPaced,
        baselineName: "per BullMQ job with a run's life, paced",
        ratio: cpuRatio,
        target: '<= 2x',
        pass: cpuRatio <= 2,
        note: `THE TARGET ROW. Redis's own used_cpu_user+sys over the rounds above (submission, pickup, progress, ownership and leases, record, completion, index feed; no webhooks configured); the baseline job is added with a priority, watched by a QueueEvents listener and completed with a run's small result, nothing of modelrun's, and added at the rate modelrun achieved in the same round (${pacedRates.map((r) => r.toFixed(0)).join(', ')} /s), so Redis sees both a few at a time (both carry the idle floor, ${idlePerSecond.toFixed(0)} µs/s: ${(idlePerSecond / mean(pacedRates)).toFixed(0)} µs each at that rate); ceiling ${ceiling.toFixed(0)} instant runs/s at one Redis core; per run ${redisPerRun!.commands} commands (${redisPerRun!.scripts} scripts) against ${redisPerPaced!.commands} (${redisPerPaced!.scripts})`,
      },
      {
        bench: 'capacity',
        metric: 'Redis CPU per run vs the job flat out',
        value: cpuRun,
        unit: 'µs',
        baseline: cpuLife,
        baselineName: "per BullMQ job with a run's life, flat out",
        ratio: cpuRun / cpuLife,
        note: `not the target: the same job life added as fast as BullMQ takes it (${redisPerLife!.commands} commands, ${redisPerLife!.scripts} scripts per job), where Redis spreads the cost of each read and wake-up over pipelined crowds of commands that a control plane's own rate never brings`,
      },
      {
        bench: 'capacity',
        metric: 'Redis CPU per one-minute run',
        value: minuteRun,
        unit: 'µs',
        baseline: minuteJob,
        baselineName: "per BullMQ job with a run's life, held a minute",
        ratio: minuteRun / minuteJob,
        target: '<= 2x',
        pass: minuteRun / minuteJob <= 2,
        note: `the instant run's cost plus 60 x what a run costs per second it runs (${runPerSecond.toFixed(1)} µs/s against ${jobPerSecond.toFixed(1)} for the job), measured on ${longN} runs of ${LONG_RUN_MS / 1000} s with all ${C} slots busy (the worker's heartbeat and lease, shared by its slots, included; no live output); so one Redis core carries ${(1e6 / minuteRun).toFixed(0)} one-minute runs/s: about ${Math.round(hosts)} hosts of 2 slots`,
      },
      {
        bench: 'capacity',
        metric: 'Redis CPU per run vs a bare no-op job',
        value: cpuRun,
        unit: 'µs',
        baseline: cpuJob,
        baselineName: 'per BullMQ no-op job',
        ratio: cpuRun / cpuJob,
        note: `the same runs against BullMQ's plainest job (no priority, no listener, no result): per no-op job ${redisPerJob!.commands} commands (${redisPerJob!.scripts} scripts)`,
      },
    ];
    return {
      rows,
      raw: {
        runs: cfg.runs,
        lanes: cfg.lanes,
        concurrency: C,
        bullmq: base,
        modelrun: mr,
        redisPerNoopJob: redisPerJob,
        redisPerRunLifeJob: redisPerLife,
        redisPerPacedJob: redisPerPaced,
        pacedRates,
        redisCpuMicrosIdlePerSecond: idlePerSecond,
        redisCpuMicrosPerPacedJob: cpuPerPaced,
        redisBreakdownPerRun: { commands: runCost.commands, insideUsec: runCost.insideUsec, calls: census.calls },
        longRunMs: LONG_RUN_MS,
        redisCpuMicrosPerLongRun: cpuLongRun,
        redisCpuMicrosPerLongJob: cpuLongJob,
        redisCpuMicrosPerRunLifeJob: cpuPerLife,
        redisPerRun,
        redisCpuMicrosPerJob: cpuPerJob,
        redisCpuMicrosPerRun: cpuPerRun,
      },
    };
  } finally {
    await stack.stop();
  }
}
