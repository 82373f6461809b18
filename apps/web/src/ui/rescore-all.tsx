import { useEffect, useRef, useState } from 'preact/hooks';
import type { BenchmarkView } from '@modelrun/contracts';
import { ErrorNote } from './notes';
import { rescoreDone, rescoreLine } from './rescore-view';
import { useRescore } from './use-rescore';

/**
 * "Re-score all" above a benchmark's board (issue 19), for operators and admins: every scored run
 * of the benchmark, or of the phase the board shows, by its current evaluator. It runs the
 * evaluator once per run, so it asks first; then a progress line until each run has an outcome,
 * and the board is read again.
 */
export function RescoreAll(props: { benchmark: BenchmarkView; phase: string | undefined; onRescored: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const rescore = useRescore(() => props.onRescored());
  // The button that asked is gone: the keyboard's focus goes to the question's safe answer.
  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);
  const { name } = props.benchmark;
  const which = props.phase ? `phase ${props.phase} of ${name}` : name;
  const go = () => {
    setConfirming(false);
    void rescore.start(`/v1/benchmarks/${encodeURIComponent(name)}/rescore`, props.phase ? { phase: props.phase } : {});
  };
  const p = rescore.progress;
  return (
    <div class="rescore-all">
      {!confirming && (
        <button type="button" class="rescore-all-start" onClick={() => setConfirming(true)} disabled={rescore.busy}>
          {rescore.busy ? 'Re-scoring…' : props.phase ? `Re-score phase ${props.phase}` : 'Re-score all'}
        </button>
      )}
      {confirming && (
        <div class="rescore-confirm" role="alertdialog" aria-labelledby="rescore-question">
          <p id="rescore-question">
            Re-score every scored run of {which}? Its current evaluator runs again on each run's kept predictions, one container a run, behind submissions; the board then ranks by the new scores.
          </p>
          <button type="button" class="danger" onClick={go}>
            Re-score every run
          </button>{' '}
          <button type="button" ref={cancelRef} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      {p && (
        <p class="rescore-progress muted" role="status" data-done={String(rescoreDone(p))}>
          {rescoreDone(p) ? 'Re-scored' : 'Re-scoring'} {p.phase ? `phase ${p.phase}` : p.benchmark}: {rescoreLine(p)}
        </p>
      )}
      <ErrorNote error={rescore.error} />
    </div>
  );
}
