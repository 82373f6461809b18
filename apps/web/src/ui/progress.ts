import type { RunView } from '@modelrun/contracts';
import { RUN_PHASES, isFinal } from '@modelrun/contracts/statuses';

export type StepState = 'done' | 'current' | 'todo' | 'failed';
export interface Step {
  label: string;
  state: StepState;
}

/**
 * A self-scored run has no evaluator step: `evaluating` is a benchmark run's alone. `recording`
 * shows only while a run is in it (its record waits for the volume), which is rare.
 */
const stepsOf = (run: RunView): readonly string[] => ['queued', ...RUN_PHASES.filter((p) => (p !== 'evaluating' || run.benchmark) && (p !== 'recording' || run.phase === 'recording'))];

/**
 * A run's life as steps: queued, the worker's phases, then how it ended. A live run is at its
 * phase; a finished one went through every step if it ever started (had a container), else
 * only through the queue; its last step says how it ended.
 */
export function timelineOf(run: RunView): Step[] {
  const final = isFinal(run.status);
  const STEPS = stepsOf(run);
  const phases = STEPS.slice(1);
  const at = run.status === 'queued' ? 0 : run.status === 'running' ? 1 + phases.indexOf(run.phase ?? 'pulling') : run.startedAt || run.status === 'succeeded' ? STEPS.length : 1;
  const steps: Step[] = STEPS.map((label, i) => ({ label, state: i < at ? 'done' : i === at && !final ? 'current' : 'todo' }));
  const ending: StepState = run.status === 'succeeded' ? 'done' : final ? 'failed' : 'todo';
  steps.push({ label: final ? run.status : 'finished', state: ending });
  return steps;
}
