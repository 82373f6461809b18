import type { BenchmarkDefinition, BenchmarkPhase, BenchmarkQuotas, BenchmarkView, ReferenceData } from './benchmark';
import type { RequestedLimits } from './limits';
import { boardIn } from './phase-board-rules';

// A benchmark's phases: its submission windows, each [start, end). Pure functions of the
// definition and a time, shared by the API (admission, views), the worker (which evaluator) and
// the leaderboard (which runs a phase's board holds). A benchmark without phases is always open.

/** What is wrong with a benchmark's phases, each with its path under `phases`: names unique, end after start, in order, not overlapping. */
export function phaseProblems(phases: readonly Pick<BenchmarkPhase, 'name' | 'start' | 'end'>[]): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const names = phases.map((p) => p.name);
  phases.forEach((p, i) => {
    if (names.indexOf(p.name) !== i) problems.push({ path: [i, 'name'], message: `${p.name} is listed twice` });
    const start = Date.parse(p.start);
    const end = Date.parse(p.end);
    if (!(end > start)) problems.push({ path: [i, 'end'], message: `must be after its start (${p.start})` });
    const before = phases[i - 1];
    if (before && start < Date.parse(before.end)) {
      problems.push({ path: [i, 'start'], message: `must not be before the end of the phase listed before it (${before.name} ends ${before.end}): phases are listed in order and do not overlap` });
    }
  });
  return problems;
}

/** Where a benchmark stands at a time: the phase open then, the next to open, and whether its last phase has closed. */
export interface PhaseState {
  open?: BenchmarkPhase;
  next?: BenchmarkPhase;
  /** It has phases and the last has closed: no submission will be taken again. */
  ended: boolean;
}

export function phaseAt(benchmark: Pick<BenchmarkDefinition, 'phases'>, now: number): PhaseState {
  const phases = benchmark.phases ?? [];
  const open = phases.find((p) => Date.parse(p.start) <= now && now < Date.parse(p.end));
  const next = phases.find((p) => Date.parse(p.start) > now);
  const last = phases[phases.length - 1];
  return { ...(open && { open }), ...(next && { next }), ended: last !== undefined && now >= Date.parse(last.end) };
}

/** The quotas of a run submitted in `phase`: the phase's own, else the benchmark's. */
export function quotasIn(benchmark: Pick<BenchmarkDefinition, 'quotas'>, phase: Pick<BenchmarkPhase, 'quotas'> | undefined): BenchmarkQuotas {
  return phase?.quotas ?? benchmark.quotas ?? {};
}

/**
 * What a benchmark's quotas are counted under: the benchmark's name, or `name/phase` in a phase,
 * so that each phase counts afresh. `/` is in no benchmark name, so no two scopes meet.
 */
export function quotaScope(benchmark: string, phase: string | undefined): string {
  return phase === undefined ? benchmark : `${benchmark}/${phase}`;
}

/**
 * The evaluator and reference data that score a run submitted in `phaseName`: the phase's own,
 * else the benchmark's. @returns undefined when the benchmark has no such phase.
 */
export function scoringOf(
  benchmark: Pick<BenchmarkDefinition, 'evaluator' | 'reference' | 'phases'>,
  phaseName: string | undefined,
): { evaluator: { image: string; limits?: RequestedLimits }; reference: ReferenceData } | undefined {
  if (phaseName === undefined) return { evaluator: benchmark.evaluator, reference: benchmark.reference };
  const phase = benchmark.phases?.find((p) => p.name === phaseName);
  if (!phase) return undefined;
  return { evaluator: phase.evaluator ?? benchmark.evaluator, reference: phase.reference ?? benchmark.reference };
}

/** The phase fields of a benchmark's view at `now`: its phases, the open one with the time left, the next one. */
export function phasesView(benchmark: Pick<BenchmarkDefinition, 'phases' | 'quotas' | 'board'>, now: number): Pick<BenchmarkView, 'phases' | 'openPhase' | 'nextPhase'> {
  if (!benchmark.phases) return {};
  const { open, next } = phaseAt(benchmark, now);
  const seconds = (at: string) => Math.max(0, Math.ceil((Date.parse(at) - now) / 1000));
  return {
    phases: benchmark.phases.map((p) => ({ name: p.name, start: p.start, end: p.end, quotas: quotasIn(benchmark, p), board: boardIn(benchmark, p.name) })),
    ...(open && { openPhase: { name: open.name, endsAt: open.end, secondsLeft: seconds(open.end) } }),
    ...(next && { nextPhase: { name: next.name, startsAt: next.start, secondsUntil: seconds(next.start) } }),
  };
}

/** The phase whose window holds `at` (a run's createdAt): the phase it was submitted in. */
export function phaseOfTime(benchmark: Pick<BenchmarkDefinition, 'phases'>, at: string): BenchmarkPhase | undefined {
  return phaseAt(benchmark, Date.parse(at)).open;
}

/** `3d 4h`, `2h 5m`, `4m 10s`, `12s`: a time left in its two largest units, enough to plan a submission by. */
export function timeLeftText(totalSeconds: number): string {
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(totalSeconds));
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    // The largest unit present and the one after it; a zero second unit is left out (`1d`, not `1d 0h`).
    if (n > 0 || parts.length > 0) parts.push(n > 0 ? `${n}${unit}` : '');
    if (parts.length === 2) break;
  }
  return parts.filter(Boolean).join(' ') || '0s';
}
