import type { RunView } from '@modelrun/contracts';
import { timelineOf } from './progress';

/** Where a run is in its life: queued, the worker's phases, then how it ended. */
export function Timeline(props: { run: RunView }) {
  return (
    <ol class="timeline" aria-label="Run progress">
      {timelineOf(props.run).map((s) => (
        <li key={s.label} class={`step step-${s.state}`} aria-current={s.state === 'current' ? 'step' : undefined}>
          <span class="dot" aria-hidden="true" />
          <span class="label">{s.label}</span>
        </li>
      ))}
    </ol>
  );
}
