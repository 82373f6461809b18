import { useState } from 'preact/hooks';
import type { RunView } from '@modelrun/contracts';
import { api } from '../api';
import { ErrorNote } from './notes';

/**
 * Select or Unselect a run for its benchmark's private board (benchmarks whose board rule is
 * `selected`, issue 19): shown when the API says the caller may (`may.select`). Over the limit,
 * the API's selection_limit message (naming the runs already selected) is shown as it is.
 */
export function SelectButton(props: { run: RunView; onChanged: () => void }) {
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const { run } = props;
  if (run.selected === undefined || !run.may?.select) return null;
  const toggle = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api<RunView>(run.selected ? 'DELETE' : 'POST', `/v1/runs/${run.id}/selection`);
      props.onChanged();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class="select-run"
        aria-pressed={run.selected}
        onClick={toggle}
        disabled={busy}
        title="The runs you select stand for this model on the benchmark's private board (the board that decides)"
      >
        {busy ? 'Saving…' : run.selected ? 'Unselect' : 'Select for the private board'}
      </button>
      {run.selected && <span class="muted selected-note">Selected for the private board</span>}
      <ErrorNote error={error} />
    </>
  );
}
