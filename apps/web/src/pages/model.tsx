import type { ModelDetail } from '@modelrun/contracts';
import { api } from '../api';
import { REASON_WORDS, formatDuration, formatScore, shortId, timeAgo } from '../ui/format';
import { ErrorNote, LiveNote } from '../ui/notes';
import { usePoll } from '../ui/poll';
import { Link } from '../ui/router';
import { ScoreChart } from '../ui/score-chart';
import { StatusBadge } from '../ui/status';

const POLL_MS = 3_000;
/** Runs shown (and charted): the newest this many. */
const RUNS = 200;

/** One model: its score over its runs, and the runs. */
export function ModelPage(props: { name: string }) {
  const url = `/v1/models/${encodeURIComponent(props.name)}?limit=${RUNS}`;
  const model = usePoll((signal) => api<ModelDetail>('GET', url, undefined, signal), [url], POLL_MS);
  const m = model.data;

  return (
    <section>
      <div class="page-head">
        <h1>
          <span class="muted crumb">
            <Link href="/">Leaderboard</Link> /
          </span>{' '}
          {props.name}
        </h1>
        <LiveNote at={model.at} />
      </div>
      <ErrorNote error={model.error} />
      {m && (
        <>
          <dl class="facts">
            <div>
              <dt>Best score</dt>
              <dd class="big">{formatScore(m.bestScore)}</dd>
            </div>
            <div>
              <dt>Runs</dt>
              <dd class="big">{m.runCount}</dd>
            </div>
            <div>
              <dt>Latest</dt>
              <dd>
                <StatusBadge status={m.latestRun.status} phase={m.latestRun.phase} />
              </dd>
            </div>
          </dl>
          <h2>Score over runs</h2>
          <ScoreChart runs={m.runs} />
          <h2>Runs</h2>
          <div class="table-wrap">
            <table class="runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">Score</th>
                  <th scope="col" class="hide-narrow">Reason</th>
                  <th scope="col" class="hide-narrow">Submitted</th>
                  <th scope="col" class="num hide-narrow">Duration</th>
                </tr>
              </thead>
              <tbody>
                {m.runs.map((r) => (
                  <tr key={r.id} data-run={r.id}>
                    <td>
                      <Link href={`/runs/${r.id}`} class="mono">{shortId(r.id)}</Link>
                    </td>
                    <td>
                      <StatusBadge status={r.status} phase={r.phase} />
                    </td>
                    <td class="num score">{formatScore(r.score)}</td>
                    <td class="hide-narrow">{r.reason ? REASON_WORDS[r.reason] : ''}</td>
                    <td class="hide-narrow muted" title={r.createdAt}>{timeAgo(r.createdAt)}</td>
                    <td class="num hide-narrow">{formatDuration(r.durationMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {m.runCount > m.runs.length && <p class="muted">The newest {m.runs.length} of {m.runCount} runs.</p>}
        </>
      )}
    </section>
  );
}
