import { type BenchmarkDefinition, type BenchmarkPhase, phaseAt } from '@modelrun/contracts';
import { DomainError } from './errors';

/** A benchmark with phases refuses a submission outside them: 409 `phase_closed`, or `benchmark_closed` after the last. */
export class PhaseClosed extends DomainError {
  override readonly name = 'PhaseClosed';

  constructor(
    readonly code: 'phase_closed' | 'benchmark_closed',
    message: string,
    /** When the next phase opens (ISO-8601), where there is one. */
    readonly nextOpensAt?: string,
  ) {
    super(message);
  }
}

/**
 * The phase a submission to `benchmark` at `now` goes to; undefined for a benchmark without
 * phases (always open). Throws PhaseClosed outside every phase, saying when the next opens.
 */
export function admitPhase(benchmark: BenchmarkDefinition, now: number): BenchmarkPhase | undefined {
  if (!benchmark.phases) return undefined;
  const { open, next } = phaseAt(benchmark, now);
  if (open) return open;
  if (next) {
    throw new PhaseClosed('phase_closed', `benchmark ${benchmark.name} takes no submissions now: its phase ${next.name} opens at ${next.start}`, new Date(Date.parse(next.start)).toISOString());
  }
  const last = benchmark.phases[benchmark.phases.length - 1]!;
  throw new PhaseClosed('benchmark_closed', `benchmark ${benchmark.name} is closed: its last phase, ${last.name}, ended at ${last.end}`);
}
