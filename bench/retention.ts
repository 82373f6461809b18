/**
 * npm run bench:retention [-- --runs 1000000 --models 100000 --rounds 2 --slice 10]
 *
 * What a retention plan costs the API's event loop, side by side in one run: the plan as it was
 * (one synchronous go, kept verbatim in test/helpers/retention-plan-at-once.ts), the sliced plan
 * with no slicing (sliceMs = Infinity: its own one go) and the sliced plan as the API makes it
 * (slices of 10 ms). The plan's input is built in process, as a pass would hand it over for a
 * volume of N runs (test/helpers/retention-volume.ts) in the steady state of hourly passes: what
 * the pass an hour ago left, with the cap just exceeded; no files, no Redis. While each plan is
 * made, a 1 ms timer measures the longest the loop did not turn (what a request arriving then
 * waits), and perf_hooks' event-loop delay histogram its p99. Variants are interleaved round by
 * round. Prints a table; writes bench/results/<time>-retention.json.
 */
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type PlanInput, type PlannedRemoval, planRetention } from '../apps/api/src/services/retention-plan';
import { planRetentionAtOnce } from '../test/helpers/retention-plan-at-once';
import { retentionVolume } from '../test/helpers/retention-volume';
import { machineInfo, writeResults } from './lib/results';
import { median, nowMs } from './lib/stats';
import { type Row, renderTable } from './lib/table';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Measure {
  /** From the call to the plan in hand. */
  totalMs: number;
  /** CPU time of the process meanwhile (user + system): below totalMs when others' work took the cores. */
  cpuMs: number;
  /** The longest gap between two turns of a 1 ms timer, less its 1 ms. */
  stallMs: number;
  /** perf_hooks' event-loop delay, p99 and max. */
  delayP99Ms: number;
  delayMaxMs: number;
  removals: number;
}

/** Makes one plan while a 1 ms timer and the delay histogram watch the loop. */
async function measure(make: () => PlannedRemoval[] | Promise<PlannedRemoval[]>): Promise<{ m: Measure; plan: PlannedRemoval[] }> {
  globalThis.gc?.();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = nowMs();
  let longest = 0;
  const timer = setInterval(() => {
    const t = nowMs();
    longest = Math.max(longest, t - last);
    last = t;
  }, 1);
  // Let the probe take its first turn, so the gap it sees starts with the plan.
  await new Promise((resolve) => setTimeout(resolve, 20));
  histogram.enable();
  last = nowMs();
  const t0 = nowMs();
  const cpu0 = process.cpuUsage();
  const plan = await make();
  const totalMs = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  // The turn after the plan closes its last gap.
  await new Promise((resolve) => setTimeout(resolve, 5));
  clearInterval(timer);
  histogram.disable();
  const m = { totalMs, cpuMs: (cpu.user + cpu.system) / 1000, stallMs: Math.max(0, longest - 1), delayP99Ms: histogram.percentile(99) / 1e6, delayMaxMs: histogram.max / 1e6, removals: plan.length };
  return { m, plan };
}

function samePlan(a: readonly PlannedRemoval[], b: readonly PlannedRemoval[]): boolean {
  return a.length === b.length && a.every((f, i) => f.path === b[i]!.path && f.why === b[i]!.why);
}

async function main(): Promise<void> {
  const runs = arg('runs', 1_000_000);
  const models = arg('models', 100_000);
  const rounds = arg('rounds', 2);
  const sliceMs = arg('slice', 10);
  const machine = machineInfo();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const started = Date.now();
  log(`retention bench: ${runs} runs across ${models} models, ${rounds} rounds, slices of ${sliceMs} ms, load ${machine.loadAverage.join(' ')}${globalThis.gc ? '' : ' (no --expose-gc)'}`);
  const t0 = nowMs();
  // The steady state of hourly passes: the volume as the pass an hour ago left it, 400 days of runs.
  const days = { predictions: 30, logs: 90, details: 90, records: 365 };
  const now = Date.parse('2027-01-31T00:00:00Z');
  const volume = retentionVolume({ runs, models, seed: 20, spanDays: 400, keptDays: days, now: now - 3_600_000 });
  // The cap just under what age leaves, so the size rule takes some of the oldest predictions too.
  const byAge = planRetentionAtOnce({ ...volume, now, settings: { days } }).reduce((sum, f) => sum + f.bytes, 0);
  const input: PlanInput = { ...volume, now, settings: { days, maxBytes: Math.floor((volume.bytes - byAge) * 0.995) } };
  const built = { ms: nowMs() - t0, files: volume.files.length, finished: volume.finishedAt.size, protected: volume.protectedRuns.size, bytes: volume.bytes };
  log(`input: ${built.files} files, ${built.finished} finished runs, ${built.protected} protected, built in ${(built.ms / 1000).toFixed(1)} s`);

  const variants: { name: string; make: () => PlannedRemoval[] | Promise<PlannedRemoval[]> }[] = [
    // The probe alone for a second: what the machine's other work does to the loop.
    { name: 'no plan (the noise floor: 1 s idle)', make: () => new Promise((resolve) => setTimeout(() => resolve([]), 1000)) },
    { name: 'one go (the previous plan)', make: () => planRetentionAtOnce(input) },
    { name: 'sliced plan, unsliced (sliceMs = Infinity)', make: () => planRetention(input, { sliceMs: Infinity }) },
    { name: `sliced plan, ${sliceMs} ms slices`, make: () => planRetention(input, { sliceMs }) },
  ];
  const measures = new Map<string, Measure[]>(variants.map((v) => [v.name, []]));
  let reference: PlannedRemoval[] | undefined;
  let equal = true;
  // Round 0 warms the code up (V8 compiles the loops it sees run hot) and checks that every plan
  // is the one-go plan; it is not counted.
  for (let round = 0; round <= rounds; round++) {
    for (const v of variants) {
      const { m, plan } = await measure(v.make);
      if (round > 0) measures.get(v.name)!.push(m);
      if (round === 0 && v !== variants[0]) {
        reference ??= plan;
        equal &&= samePlan(reference, plan);
      }
      log(
        `round ${round} ${v.name}: total ${m.totalMs.toFixed(0)} ms (cpu ${m.cpuMs.toFixed(0)} ms), longest stall ${m.stallMs.toFixed(1)} ms, delay p99 ${m.delayP99Ms.toFixed(1)} ms, ${m.removals} removals`,
      );
    }
  }
  if (!equal) throw new Error('the plans differ: the sliced plan must equal the one-go plan');

  const base = variants[1]!.name;
  const med = (name: string, key: keyof Measure): number => median(measures.get(name)!.map((m) => m[key]));
  const against = (name: string, key: keyof Measure): Partial<Row> =>
    name === base || name === variants[0]!.name ? {} : { baseline: med(base, key), baselineName: 'one go', ratio: med(name, key) / med(base, key) };
  const rows: Row[] = [];
  for (const v of variants) {
    const sliced = v === variants[3];
    rows.push({
      bench: 'retention: longest stall',
      metric: v.name,
      value: med(v.name, 'stallMs'),
      unit: 'ms',
      ...against(v.name, 'stallMs'),
      ...(sliced && { target: `<= ${2 * sliceMs} ms`, pass: med(v.name, 'stallMs') <= 2 * sliceMs }),
    });
  }
  for (const v of variants.slice(1)) {
    rows.push({ bench: 'retention: total', metric: v.name, value: med(v.name, 'totalMs'), unit: 'ms', ...against(v.name, 'totalMs') });
    rows.push({ bench: 'retention: cpu', metric: v.name, value: med(v.name, 'cpuMs'), unit: 'ms', ...against(v.name, 'cpuMs') });
  }
  const end = machineInfo();
  const title = `modelrun retention bench: ${runs} runs across ${models} models (${built.files} files, ${reference?.length ?? 0} removals), median (nearest rank: of 2, the lower) of ${rounds} rounds, ${((Date.now() - started) / 1000).toFixed(0)} s, ${machine.cores} cores ${machine.cpu}, load ${machine.loadAverage.join(' ')} -> ${end.loadAverage.join(' ')}`;
  process.stdout.write(`\n${renderTable(title, rows)}\n`);
  const path = writeResults(join(__dirname, 'results'), 'retention', {
    runs,
    models,
    rounds,
    sliceMs,
    machine,
    loadAverageAtEnd: end.loadAverage,
    startedAt: new Date(started).toISOString(),
    input: { ...built, settings: input.settings },
    plansEqual: equal,
    rows,
    measures: Object.fromEntries(measures),
  });
  process.stdout.write(`\nresults: ${path}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`retention bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
