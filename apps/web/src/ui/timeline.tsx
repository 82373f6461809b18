import type { RunView } from '@modelrun/contracts';
import { RUN_PHASES, isFinal } from '@modelrun/contracts/statuses';
import { STATUS_WORDS } from './format';

type Step = 'done' | 'current' | 'todo' | 'failed';
const STEPS = ['queued', ...RUN_PHASES] as const;

/**
 * How far along each step is. A live run is at its phase; a finished one went through every
 * step if it ever started (had a container), else only through the queue.
 */
function progress(run: RunView): number {
  if (run.status === 'queued') return 0;
  if (run.status === 'running') return 1 + RUN_PHASES.indexOf(run.phase ?? 'pulling');
  return run.startedAt || run.status === 'succeeded' ? STEPS.length : 1;
}

/** Where a run is in its life: queued, the worker's phases, then how it ended. */
export function Timeline(props: { run: RunView }) {
  const { run } = props;
  const final = isFinal(run.status);
  const at = progress(run);
  const state = (i: number): Step => (i < at ? 'done' : i === at && !final ? 'current' : 'todo');
  const ending: Step = run.status === 'succeeded' ? 'done' : final ? 'failed' : 'todo';
  return (
    <ol class="timeline" aria-label="Run progress">
      {STEPS.map((s, i) => (
        <li key={s} class={`step step-${state(i)}`} aria-current={state(i) === 'current' ? 'step' : undefined}>
          <span class="dot" aria-hidden="true" />
          <span class="label">{s}</span>
        </li>
      ))}
      <li class={`step step-${ending}`}>
        <span class="dot" aria-hidden="true" />
        <span class="label">{final ? STATUS_WORDS[run.status].toLowerCase() : 'finished'}</span>
      </li>
    </ol>
  );
}
