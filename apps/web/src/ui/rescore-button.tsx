import type { RunView } from '@modelrun/contracts';
import { ErrorNote } from './notes';
import { runRescoreOutcome } from './rescore-view';
import { useRescore } from './use-rescore';

/**
 * "Re-score" on a scored benchmark run with kept predictions (issue 19): the benchmark's current
 * evaluator again on them. Shown when the API says the caller may (`may.rescore`: operators and
 * admins). While it runs, says so; then how it ended, and the page reads the run again (its
 * score and score history).
 */
export function RescoreButton(props: { run: RunView; onRescored: () => void }) {
  const { run } = props;
  const rescore = useRescore(() => props.onRescored());
  if (!run.may?.rescore || run.status !== 'succeeded' || run.predictionsBytes === undefined) return null;
  return (
    <>
      <button
        type="button"
        class="rescore"
        onClick={() => void rescore.start(`/v1/runs/${run.id}/rescore`)}
        disabled={rescore.busy}
        title="Score its kept predictions again with the benchmark's current evaluator: the run keeps its score history"
      >
        {rescore.busy ? 'Re-scoring…' : 'Re-score'}
      </button>
      {rescore.progress && (
        <span class="rescore-outcome muted" role="status" data-done={String(!rescore.busy)}>
          {runRescoreOutcome(rescore.progress)}
        </span>
      )}
      <ErrorNote error={rescore.error} />
    </>
  );
}
