import { randomBytes } from 'node:crypto';
import { loadWorkerConfig } from '@modelrun/config';
import { isFinal } from '@modelrun/contracts';
import type { RunSummary } from '@modelrun/leaderboard';
import { createDocker } from '@modelrun/runner';
import { startWorker } from '@modelrun/worker';
import { removeContainersOf } from '../../test/helpers/docker';
import { testLogger } from '../../test/helpers/logger';
import { startStack } from '../../test/helpers/stack';
import { fixture } from '../../test/fixtures/images';
import type { BenchConfig } from '../lib/config';
import { profiled } from '../lib/profile';
import { median, nowMs, summarize } from '../lib/stats';
import type { Row } from '../lib/table';
import { type DirectSettings, directRun } from './baseline';
import { type TracedRun, breakdown } from './breakdown';
import { ModelrunClient, describeWaiting } from './client';
import { Tracer } from './trace';

// A trivial model: prints three lines and writes score.json.
const IMAGE = fixture('score-json');

/** N runs with `lanes` at a time, straight through dockerode. @returns runs a second. */
async function directThroughput(s: DirectSettings, runs: number, lanes: number): Promise<number> {
  let next = 0;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next++ < runs) await directRun(s);
    }),
  );
  return runs / ((nowMs() - t0) / 1000);
}

/** N runs submitted at once through the API; done when the client has seen every score. */
async function modelrunThroughput(client: ModelrunClient, runs: number, window: number): Promise<number> {
  const t0 = nowMs();
  const submitted = await Promise.all(Array.from({ length: runs }, () => client.submit(IMAGE, 'bench-throughput')));
  const seen = await client.waitAllVisible(
    submitted.map((s) => s.id),
    window,
  );
  const elapsed = nowMs() - t0;
  const bad = [...seen.values()].filter((v) => v.view.status !== 'succeeded');
  if (bad.length) throw new Error(`${bad.length} throughput runs did not succeed: ${JSON.stringify(bad[0]!.view)}`);
  return runs / (elapsed / 1000);
}

export async function orchestrationBench(cfg: BenchConfig['orchestration'], redisUrl: string, log: (s: string) => void): Promise<{ rows: Row[]; raw: unknown }> {
  const tracer = new Tracer();
  tracer.install();
  const C = cfg.concurrency;
  const stack = await startStack({ workers: 0, redisUrl, env: { WORKER_CONCURRENCY: String(C) } });
  const direct: DirectSettings = (() => {
    const w = loadWorkerConfig({ ...stack.env, WORKER_CONCURRENCY: String(C) });
    return {
      // The same client the worker builds (keep-alive agent), so connection reuse is equal.
      docker: createDocker(w.dockerHost),
      deployment: `bb${randomBytes(4).toString('hex')}`,
      image: IMAGE,
      limits: w.limits.defaults,
      policy: { pidsLimit: w.sandbox.pidsLimit, tmpMb: w.sandbox.tmpMb, logMaxBytes: w.sandbox.logMaxBytes },
      outputMaxBytes: w.sandbox.outputMaxBytes,
    };
  })();
  try {
    const picked = new Map<string, number>();
    stack.workers.push(
      await startWorker(loadWorkerConfig({ ...stack.env, WORKER_CONCURRENCY: String(C) }), testLogger('worker'), {
        observer: { picked: (run) => void picked.set(run.id, nowMs()) },
      }),
    );
    // When the API's index first holds a run as final (the leaderboard can show it from then on).
    const indexFinal = new Map<string, number>();
    const index = stack.api.index;
    const upsert = index.upsert.bind(index);
    index.upsert = (s: RunSummary): boolean => {
      const changed = upsert(s);
      if (changed && isFinal(s.status) && !indexFinal.has(s.id)) indexFinal.set(s.id, nowMs());
      return changed;
    };
    const client = new ModelrunClient(stack.api.url, cfg.pollMs);

    log(`orchestration: warming up (image, JIT, connections)`);
    await directRun(direct);
    await client.waitVisible((await client.submit(IMAGE, 'bench-warmup')).id);

    log(`orchestration: ${cfg.singles} single runs each side, alternating, traced`);
    const baseRuns: TracedRun[] = [];
    const mrRuns: TracedRun[] = [];
    const getMs: number[] = [];
    for (let i = 0; i < cfg.singles; i++) {
      tracer.take();
      tracer.enabled = true;
      const d = await directRun(direct);
      baseRuns.push({ start: d.start, end: d.end, spans: tracer.take() });
      const sub = await client.submit(IMAGE, 'bench-latency');
      const vis = await client.waitVisible(sub.id);
      if (vis.view.status !== 'succeeded') throw new Error(`latency run did not succeed: ${JSON.stringify(vis.view)}`);
      getMs.push(...vis.getMs);
      // The index hears of the run from a queue event, which may come just after the client saw it.
      for (const until = nowMs() + 1_000; !indexFinal.has(sub.id) && nowMs() < until;) await new Promise((r) => setTimeout(r, 5));
      tracer.enabled = false;
      mrRuns.push({
        start: sub.postStart,
        end: vis.at,
        spans: tracer.take(),
        marks: { postEnd: sub.postEnd, ...(picked.has(sub.id) && { picked: picked.get(sub.id)! }), ...(indexFinal.has(sub.id) && { indexFinal: indexFinal.get(sub.id)! }) },
      });
    }
    const baseLat = baseRuns.map((r) => r.end - r.start);
    const mrLat = mrRuns.map((r) => r.end - r.start);
    log(`  latency p50: modelrun ${median(mrLat).toFixed(0)} ms, baseline ${median(baseLat).toFixed(0)} ms`);

    const baseTput: number[] = [];
    const mrTput: number[] = [];
    for (let round = 0; round < cfg.rounds; round++) {
      log(`orchestration: throughput round ${round + 1}/${cfg.rounds}: ${cfg.runs} runs at concurrency ${C}`);
      baseTput.push(await directThroughput(direct, cfg.runs, C));
      mrTput.push(await profiled(`orchestration-throughput-${round}`, () => modelrunThroughput(client, cfg.runs, C)));
      log(`  baseline ${baseTput.at(-1)!.toFixed(2)}/s, modelrun ${mrTput.at(-1)!.toFixed(2)}/s`);
    }

    const b = breakdown(mrRuns, baseRuns, cfg.pollMs);
    const sumT = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
    const tRatio = sumT(mrTput) / sumT(baseTput);
    const lRatio = median(mrLat) / median(baseLat);
    const rows: Row[] = [
      {
        bench: 'orchestration',
        metric: `throughput, ${cfg.runs} runs x ${cfg.rounds} at C=${C}`,
        value: sumT(mrTput) / mrTput.length,
        unit: 'runs/s',
        baseline: sumT(baseTput) / baseTput.length,
        baselineName: 'dockerode direct',
        ratio: tRatio,
        target: '>= 0.95x',
        pass: tRatio >= 0.95,
        note: `all ${cfg.runs} submitted at once, WORKER_CONCURRENCY=${C}; ${cfg.pollMs === 0 ? 'the client long-polls every run' : `the client polls the ${C} oldest unfinished runs every ${cfg.pollMs} ms`}; rounds interleaved baseline/modelrun`,
      },
      {
        bench: 'orchestration',
        metric: 'single run POST -> score visible p50',
        value: median(mrLat),
        unit: 'ms',
        baseline: median(baseLat),
        baselineName: 'create->removed',
        ratio: lRatio,
        target: '<= 1.05x',
        pass: lRatio <= 1.05,
        note: `${cfg.singles} runs each side, alternating; ${describeWaiting(cfg.pollMs)}; API, worker and client share one Node process`,
      },
      {
        bench: 'orchestration',
        metric: 'single run POST -> score visible p90',
        value: summarize(mrLat).p90,
        unit: 'ms',
        baseline: summarize(baseLat).p90,
        baselineName: 'create->removed',
        ratio: summarize(mrLat).p90 / summarize(baseLat).p90,
      },
    ];
    return {
      rows,
      raw: { concurrency: C, pollMs: cfg.pollMs, baseLatencyMs: baseLat, modelrunLatencyMs: mrLat, baseThroughput: baseTput, modelrunThroughput: mrTput, steps: b.steps, breakdownText: b.text },
    };
  } finally {
    tracer.enabled = false;
    await stack.stop();
    await removeContainersOf(direct.deployment);
  }
}
