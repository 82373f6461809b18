import type { RunView } from '@modelrun/contracts';
import { MetricsTable } from './metrics-table';
import { Num } from './num';

/**
 * A benchmark run's place in its season (issue 19): the phase it was submitted in, whether its
 * submitter selected it for the private board, and its score and metrics on the private part of
 * the reference: the API sends these only to callers who may see the private board (operators
 * and admins, everyone once it is revealed), so their absence says nothing to anyone else.
 */
export function RunSeason(props: { run: RunView }) {
  const r = props.run;
  const hasPrivate = r.privateScore !== undefined || (r.privateMetrics !== undefined && Object.keys(r.privateMetrics).length > 0);
  if (!r.benchmark || (r.benchmarkPhase === undefined && r.selected === undefined && !hasPrivate)) return null;
  return (
    <section class="run-season" aria-label="Season">
      <dl class="kv">
        {r.benchmarkPhase !== undefined && (
          <>
            <dt>Phase</dt>
            <dd class="run-phase">{r.benchmarkPhase}</dd>
          </>
        )}
        {r.selected !== undefined && (
          <>
            <dt>Selected</dt>
            <dd class="run-selected">{r.selected ? 'Yes, it stands for its model on the private board' : 'No'}</dd>
          </>
        )}
        {r.privateScore !== undefined && (
          <>
            <dt>Private score</dt>
            <dd class="private-score" data-private-score={r.privateScore}>
              <Num value={r.privateScore} score class="score" />
            </dd>
          </>
        )}
      </dl>
      <MetricsTable metrics={r.privateMetrics} caption="On the private part" valueLabel="Private value" class="private-metrics" />
    </section>
  );
}
