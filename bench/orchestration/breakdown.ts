import { describeWaiting } from './client';
import { mean } from '../lib/stats';
import type { Span } from './trace';

/** One run seen end to end: modelrun (POST to score visible) or the baseline (create to removed). */
export interface TracedRun {
  start: number;
  end: number;
  spans: Span[];
  /** modelrun only: client and index moments. */
  marks?: { postEnd: number; picked?: number; indexFinal?: number };
}

export interface Step {
  label: string;
  /** ms from the run's start. */
  at: number;
  took: number;
  /** ms since the previous sequential step ended: time in JavaScript, the event loop, or waiting. */
  idleBefore?: number;
  baselineTook?: number;
  concurrent?: boolean;
}

const START = 'POST /containers/{id}/start';
const WAIT = 'POST /containers/{id}/wait';

/** Names each span by the part of the run it falls in, numbered when a call repeats there. */
function stepsOf(run: TracedRun): Step[] {
  const spans = [...run.spans].sort((a, b) => a.start - b.start);
  const start = spans.find((s) => s.what === START);
  const wait = spans.find((s) => s.what === WAIT);
  const seen = new Map<string, number>();
  let cursor = spans[0]?.start ?? run.start;
  const steps: Step[] = [];
  for (const s of spans) {
    const phase = !start || s.start < start.start ? 'before start' : !wait || s.start < wait.end || s === wait ? 'running' : 'after exit';
    const base = `${phase}: ${s.what}`;
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    const end = s.bodyEnd ?? s.end;
    // Live-log following runs beside the wait; progress writes are never waited on; anything
    // that starts before the previous sequential step ended (log flushes, the cancel poll) runs
    // beside the critical path.
    const concurrent = s.what.endsWith('(follow)') || s.what === 'job.updateProgress' || (s !== wait && s.start < cursor);
    const step: Step = { label: k > 1 ? `${base} #${k}` : base, at: s.start - run.start, took: end - s.start, concurrent };
    if (!concurrent) {
      step.idleBefore = Math.max(0, s.start - cursor);
      cursor = Math.max(cursor, end);
    }
    steps.push(step);
  }
  const m = run.marks;
  if (m) {
    const completed = spans.filter((s) => s.what === 'job.moveToCompleted').at(-1);
    steps.push({ label: 'client: POST /v1/models until 202', at: 0, took: m.postEnd - run.start });
    // From the POST being sent (the API enqueues before it answers) to the processor's first step.
    if (spans[0]) steps.push({ label: "queue pickup: POST sent until the worker's first step", at: 0, took: spans[0].start - run.start });
    if (completed) {
      if (m.indexFinal !== undefined) steps.push({ label: 'event -> API index shows the run final', at: completed.end - run.start, took: m.indexFinal - completed.end });
      steps.push({ label: `client: job completed until its poll sees the score`, at: completed.end - run.start, took: run.end - completed.end });
    }
  }
  return steps;
}

export interface Breakdown {
  steps: Step[];
  modelrunMs: number;
  baselineMs: number;
  text: string;
}

/** Mean steps over the runs, the baseline's own calls beside the same calls of modelrun. */
export function breakdown(modelrun: TracedRun[], baseline: TracedRun[], pollMs: number): Breakdown {
  const agg = new Map<string, Step[]>();
  for (const run of modelrun) for (const s of stepsOf(run)) agg.set(s.label, [...(agg.get(s.label) ?? []), s]);
  const baseAgg = new Map<string, number[]>();
  for (const run of baseline) for (const s of stepsOf(run)) baseAgg.set(s.label, [...(baseAgg.get(s.label) ?? []), s.took]);
  const steps: Step[] = [...agg.entries()]
    .map(([label, xs]) => {
      const idle = xs.map((x) => x.idleBefore).filter((x): x is number => x !== undefined);
      const b = baseAgg.get(label);
      return {
        label,
        at: mean(xs.map((x) => x.at)),
        took: mean(xs.map((x) => x.took)),
        ...(idle.length && { idleBefore: mean(idle) }),
        ...(b && { baselineTook: mean(b) }),
        ...(xs[0]!.concurrent && { concurrent: true }),
      };
    })
    .sort((a, b) => a.at - b.at);
  const modelrunMs = mean(modelrun.map((r) => r.end - r.start));
  const baselineMs = mean(baseline.map((r) => r.end - r.start));
  const baseCalls = mean(baseline.map((r) => r.end - r.start));

  const engine = steps.filter((s) => /^(before start|running|after exit): (GET|POST|DELETE|PUT|HEAD) \//.test(s.label) && !s.concurrent);
  const sameCalls = engine.filter((s) => s.baselineTook !== undefined);
  const extraCalls = engine.filter((s) => s.baselineTook === undefined);
  const workerSteps = steps.filter((s) => /: (store|control|job)\./.test(s.label) && !s.concurrent);
  const idle = steps.reduce((sum, s) => sum + (s.idleBefore ?? 0), 0);
  const sum = (xs: Step[], k: 'took' | 'baselineTook' = 'took'): number => xs.reduce((t, s) => t + (s[k] ?? 0), 0);
  const pad = (s: string, n: number): string => s.padEnd(n);
  const num = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(1)).padStart(9);
  const lines = [
    `Where a single run's time goes: mean of ${modelrun.length} modelrun runs and ${baseline.length} baseline runs, one at a time (C=1),`,
    `${describeWaiting(pollMs)}. "idle before" is time since the previous sequential step ended:`,
    `JavaScript, the event loop, or a wait. Engine calls are timed at docker-modem (headers; streamed bodies to their end).`,
    '',
    `${pad('step', 70)}${'at ms'.padStart(9)}${'took ms'.padStart(9)}${'idle ms'.padStart(9)}${'baseline'.padStart(9)}`,
    ...steps.map((s) => `${pad(`${s.label}${s.concurrent ? ' [concurrent]' : ''}`, 70)}${num(s.at)}${num(s.took)}${num(s.idleBefore)}${num(s.baselineTook)}`),
    '',
    `POST -> score visible: modelrun ${modelrunMs.toFixed(0)} ms; baseline create -> removed ${baselineMs.toFixed(0)} ms; extra ${(modelrunMs - baseCalls).toFixed(0)} ms. Along modelrun's critical path:`,
    `  the Engine calls the baseline makes too: ${sum(sameCalls).toFixed(0)} ms vs ${sum(sameCalls, 'baselineTook').toFixed(0)} ms in the baseline`,
    `  Engine calls the baseline does not make: ${sum(extraCalls).toFixed(0)} ms (${extraCalls.map((s) => s.label.replace(/^.*?: /, '')).join(', ')})`,
    `  worker Redis and volume steps: ${sum(workerSteps).toFixed(0)} ms (${workerSteps.map((s) => `${s.label.replace(/^.*?: /, '')} ${s.took.toFixed(1)}`).join(', ')})`,
    `  idle between steps: ${idle.toFixed(0)} ms`,
    `  from the POST being sent to the worker's first step (HTTP, enqueue, pickup): ${(steps.find((s) => s.label.startsWith('queue pickup'))?.took ?? 0).toFixed(0)} ms`,
    `  from the job's completion to the client seeing the score (${pollMs === 0 ? 'the long-poll answering' : `poll every ${pollMs} ms + one GET`}): ${(steps.find((s) => s.label.startsWith('client: job completed'))?.took ?? 0).toFixed(0)} ms`,
  ];
  return { steps, modelrunMs, baselineMs, text: lines.join('\n') };
}
