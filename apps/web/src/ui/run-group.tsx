import { useState } from 'preact/hooks';
import type { RunSummary } from '@modelrun/contracts';
import { REASON_WORDS, formatDuration, shortId, timeAgo } from './format';
import { Num } from './num';
import { Provenance } from './provenance';
import { Link } from './router';
import { type ChartPoint, ScoreChart } from './score-chart';
import { StatusBadge } from './status';
import { useRunMetrics } from './run-metrics';

const SCORE = 'score';

/**
 * One kind of a model's runs (self-scored, or one benchmark's): a chart of any of their
 * metrics over the runs, and the runs. Runs come newest first; the chart reads oldest first.
 */
export function RunGroup(props: { runs: readonly RunSummary[]; benchmark?: string; scoreLabel: string }) {
  const [metric, setMetric] = useState(SCORE);
  const scored = props.runs.filter((r) => r.status === 'succeeded' && r.score !== undefined).sort((a, b) => (a.id < b.id ? -1 : 1));
  // A benchmark run's summary carries its metrics; a self-scored one's are read from its view.
  const read = useRunMetrics(props.benchmark ? [] : scored, metric !== SCORE);
  const metricsOf = (r: RunSummary) => (props.benchmark ? r.metrics : read.get(r.id)) ?? {};
  const names = [...new Set(scored.flatMap((r) => Object.keys(metricsOf(r))))].sort();
  const points: ChartPoint[] = scored.flatMap((r) => {
    const value = metric === SCORE ? r.score : metricsOf(r)[metric];
    return value === undefined ? [] : [{ id: r.id, createdAt: r.createdAt, value }];
  });
  const label = metric === SCORE ? props.scoreLabel : metric;
  const pickId = `metric-${props.benchmark ?? 'self'}`;
  return (
    <>
      {names.length > 0 && (
        <div class="chart-pick">
          <label for={pickId}>Chart</label>
          <select id={pickId} value={metric} onChange={(e) => setMetric((e.currentTarget as HTMLSelectElement).value)}>
            <option value={SCORE}>{props.scoreLabel}</option>
            {names
              .filter((n) => n !== SCORE)
              .map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
          </select>
        </div>
      )}
      <ScoreChart points={points} label={label} />
      <div class="table-wrap">
        <table class="runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                {props.scoreLabel}
              </th>
              <th scope="col" class="hide-narrow">
                Reason
              </th>
              <th scope="col" class="hide-narrow">
                Submitted
              </th>
              <th scope="col" class="hide-narrow">
                By
              </th>
              <th scope="col" class="num hide-narrow">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {props.runs.map((r) => (
              <tr key={r.id} data-run={r.id}>
                <td>
                  <Link href={`/runs/${r.id}`} class="mono">
                    {shortId(r.id)}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={r.status} phase={r.phase} />
                </td>
                <td class="num score">
                  <Num value={r.score} score />
                </td>
                <td class="hide-narrow wrap">{r.reason ? REASON_WORDS[r.reason] : ''}</td>
                <td class="hide-narrow muted" title={r.createdAt}>
                  {timeAgo(r.createdAt)}
                </td>
                <td class="hide-narrow">
                  <Provenance {...r} />
                </td>
                <td class="num hide-narrow">{formatDuration(r.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
