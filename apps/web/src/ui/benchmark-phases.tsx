import { type BenchmarkView, timeLeftText } from '@modelrun/contracts';
import { formatTime } from './format';

/**
 * A benchmark's phases on the benchmarks page: where it stands now (open with the time left,
 * when the next opens, or closed), then each phase with its window and quotas, the open one
 * marked. Nothing for a benchmark without phases: it is always open.
 */
export function BenchmarkPhases({ b }: { b: Pick<BenchmarkView, 'phases' | 'openPhase' | 'nextPhase'> }) {
  if (!b.phases) return null;
  return (
    <div class="phases">
      <PhaseNow b={b} />
      <ol class="phase-list">
        {b.phases.map((p) => {
          const open = p.name === b.openPhase?.name;
          const quotas = [p.quotas.perDay !== undefined && `${p.quotas.perDay} a day`, p.quotas.concurrent !== undefined && `${p.quotas.concurrent} at once`].filter(Boolean).join(', ');
          return (
            <li key={p.name} data-phase={p.name} class={open ? 'phase-open' : undefined} aria-current={open ? 'step' : undefined}>
              <strong>{p.name}</strong>
              <span class="muted">
                {formatTime(p.start)} – {formatTime(p.end)}
              </span>
              {quotas && <span class="muted">{quotas}</span>}
              {open && <span class="badge badge-succeeded">open · {timeLeftText(b.openPhase!.secondsLeft)} left</span>}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/** Where a benchmark with phases stands now: open with the time left, when the next opens, or closed for good. Also on the submit form. */
export function PhaseNow({ b }: { b: Pick<BenchmarkView, 'phases' | 'openPhase' | 'nextPhase'> }) {
  if (!b.phases) return null;
  return (
    <p class="phase-now" data-phase-now>
      {b.openPhase ? (
        <>
          <span class="badge badge-succeeded">open</span> {b.openPhase.name}: {timeLeftText(b.openPhase.secondsLeft)} left
        </>
      ) : b.nextPhase ? (
        <>
          <span class="badge badge-cancelled">closed</span> {b.nextPhase.name} opens {formatTime(b.nextPhase.startsAt)} (in {timeLeftText(b.nextPhase.secondsUntil)})
        </>
      ) : (
        <>
          <span class="badge badge-failed">closed</span> its last phase has ended
        </>
      )}
    </p>
  );
}
