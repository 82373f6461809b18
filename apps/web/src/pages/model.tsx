import type { BenchmarkList, ModelDetail, RunSummary } from '@modelrun/contracts';
import { api } from '../api';
import { ErrorNote, LiveNote } from '../ui/notes';
import { Num } from '../ui/num';
import { usePoll } from '../ui/poll';
import { Link } from '../ui/router';
import { RunGroup } from '../ui/run-group';
import { StatusBadge } from '../ui/status';

const POLL_MS = 3_000;
/** Runs shown (and charted): the newest this many. */
const RUNS = 200;

/** The runs by kind: self-scored first, then each benchmark's, by name. */
function groups(runs: readonly RunSummary[]): { benchmark?: string; runs: RunSummary[] }[] {
  const by = new Map<string, RunSummary[]>();
  for (const r of runs) by.set(r.benchmark ?? '', [...(by.get(r.benchmark ?? '') ?? []), r]);
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([b, rs]) => ({ ...(b && { benchmark: b }), runs: rs }));
}

/**
 * One model: its self-scored runs and its runs of each benchmark apart (a benchmark's score is
 * its evaluator's, on its own data: not comparable with the model's own), each with a chart.
 */
export function ModelPage(props: { name: string }) {
  const url = `/v1/models/${encodeURIComponent(props.name)}?limit=${RUNS}`;
  const model = usePoll((signal) => api<ModelDetail>('GET', url, undefined, signal), [url], POLL_MS);
  const benchmarks = usePoll((signal) => api<BenchmarkList>('GET', '/v1/benchmarks', undefined, signal), [], 60_000);
  const m = model.data;
  const primary = (b: string) => benchmarks.data?.benchmarks.find((x) => x.name === b)?.primaryMetric ?? 'score';
  const kinds = m ? groups(m.runs) : [];

  return (
    <section>
      <div class="page-head">
        <h1>
          <span class="muted crumb">
            <Link href="/">Leaderboard</Link> /
          </span>{' '}
          {props.name}
        </h1>
        {!model.error && <LiveNote at={model.at} />}
      </div>
      <ErrorNote error={model.error} />
      {m && (
        <>
          <dl class="facts">
            <div>
              <dt>Best self-scored</dt>
              <dd class="big">
                <Num value={m.bestScore} score />
              </dd>
            </div>
            <div>
              <dt>Runs</dt>
              <dd class="big">{m.runCount}</dd>
            </div>
            <div>
              <dt>Latest</dt>
              <dd>
                <StatusBadge status={m.latestRun.status} phase={m.latestRun.phase} />
                {m.latestRun.benchmark && <span class="muted"> · {m.latestRun.benchmark}</span>}
              </dd>
            </div>
          </dl>
          {kinds.map((k) =>
            k.benchmark ? (
              <section key={k.benchmark} class="run-kind" data-kind={`benchmark:${k.benchmark}`}>
                <h2>
                  Benchmark <Link href={`/benchmarks/${encodeURIComponent(k.benchmark)}`}>{k.benchmark}</Link>
                  <span class="muted"> · scored by its evaluator ({primary(k.benchmark)})</span>
                </h2>
                <RunGroup runs={k.runs} benchmark={k.benchmark} scoreLabel={primary(k.benchmark)} />
              </section>
            ) : (
              <section key="self" class="run-kind" data-kind="self">
                <h2>
                  Self-scored runs <span class="muted">· the score the model wrote</span>
                </h2>
                <RunGroup runs={k.runs} scoreLabel="score" />
              </section>
            ),
          )}
          {m.runCount > m.runs.length && (
            <p class="muted">
              The newest {m.runs.length} of {m.runCount} runs.
            </p>
          )}
        </>
      )}
    </section>
  );
}
