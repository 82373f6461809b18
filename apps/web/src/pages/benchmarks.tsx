import type { BenchmarkLeaderboard, BenchmarkList, BenchmarkView, SessionView } from '@modelrun/contracts';
import { api } from '../api';
import { timeAgo } from '../ui/format';
import { Num } from '../ui/num';
import { Provenance } from '../ui/provenance';
import { ErrorNote, LiveNote } from '../ui/notes';
import { usePoll } from '../ui/poll';
import { Link, type Location, navigate } from '../ui/router';
import { BenchmarkPhases } from '../ui/benchmark-phases';
import { BoardControls } from '../ui/board-controls';
import { type BoardName, boardRuleOf, olderEvaluatorTitle } from '../ui/board-view';

const PAGE_SIZE = 20;
const POLL_MS = 3_000;

/** Every benchmark: what it asks for, its metrics and which way each is better. */
export function BenchmarksPage() {
  const list = usePoll((signal) => api<BenchmarkList>('GET', '/v1/benchmarks', undefined, signal), [], 60_000);
  return (
    <section>
      <div class="page-head">
        <h1>Benchmarks</h1>
      </div>
      <ErrorNote error={list.error} />
      {list.data?.benchmarks.length === 0 && <p class="empty">No benchmarks on this deployment (BENCHMARKS_FILE).</p>}
      {list.data?.benchmarks.map((b) => (
        <div class="card" key={b.name} data-benchmark={b.name}>
          <h2>
            <Link href={`/benchmarks/${encodeURIComponent(b.name)}`}>{b.name}</Link>
          </h2>
          {b.description && <p>{b.description}</p>}
          <p class="muted">
            Metrics: {b.metrics.map((m) => `${m.name} (${m.direction} is better${m.name === b.primaryMetric ? ', primary' : ''})`).join(', ')}
            {b.quotas.perDay !== undefined && ` · ${b.quotas.perDay} counted submissions a day`}
            {b.quotas.concurrent !== undefined && ` · ${b.quotas.concurrent} at once`}
          </p>
          <BenchmarkPhases b={b} />
        </div>
      ))}
    </section>
  );
}

/**
 * One benchmark's leaderboard: each model's run by the board's rule, every metric a sortable
 * column; a phase's runs only, and the private board, when the address asks (`phase`, `board`).
 */
export function BenchmarkBoardPage(props: { name: string; loc: Location; session?: SessionView | undefined }) {
  const q = props.loc.query;
  const order = q.get('order') === 'worst' ? 'worst' : 'best';
  const page = Math.max(1, Number.parseInt(q.get('page') ?? '1', 10) || 1);
  const offset = (page - 1) * PAGE_SIZE;
  const sortParam = q.get('sort');
  const phase = q.get('phase') || undefined;
  const boardName: BoardName = q.get('board') === 'private' ? 'private' : 'public';
  const url = `/v1/benchmarks/${encodeURIComponent(props.name)}/leaderboard?${new URLSearchParams({
    ...(sortParam && { sort: sortParam }),
    order,
    limit: String(PAGE_SIZE),
    offset: String(offset),
    ...(phase && { phase }),
    ...(boardName === 'private' && { board: 'private' }),
  })}`;
  const board = usePoll((signal) => api<BenchmarkLeaderboard>('GET', url, undefined, signal), [url], POLL_MS);
  // The benchmark itself (its phases, rule and whether its private board is revealed): the board's copy leaves these out.
  const benchmark = usePoll((signal) => api<BenchmarkView>('GET', `/v1/benchmarks/${encodeURIComponent(props.name)}`, undefined, signal), [props.name], 30_000);
  const data = board.data;
  const go = (next: { sort?: string; order?: string; page?: number; phase?: string | undefined; board?: BoardName }) => {
    const nextPhase = 'phase' in next ? next.phase : phase;
    const nextBoard = next.board ?? boardName;
    const params = new URLSearchParams({
      sort: next.sort ?? data?.sort ?? '',
      order: next.order ?? order,
      page: String(next.page ?? 1),
      ...(nextPhase && { phase: nextPhase }),
      ...(nextBoard === 'private' && { board: 'private' }),
    });
    navigate(`/benchmarks/${encodeURIComponent(props.name)}?${params}`, true);
  };
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE_SIZE)) : 1;
  const rule = (benchmark.data && boardRuleOf(benchmark.data, phase)?.rule) ?? 'best';
  return (
    <section>
      <div class="page-head">
        <h1>{props.name}</h1>
        {!board.error && <LiveNote at={board.at} />}
      </div>
      {data?.benchmark.description && <p class="muted">{data.benchmark.description}</p>}
      {benchmark.data && (
        <BoardControls
          benchmark={benchmark.data}
          session={props.session}
          phase={phase}
          board={boardName}
          onChange={(next) => go(next)}
          onRevealed={() => {
            benchmark.refresh();
            board.refresh();
          }}
          onRescored={board.refresh}
        />
      )}
      <ErrorNote error={board.error} />
      {data && data.total === 0 && (
        <p class="empty">
          {boardName === 'private' ? (
            <>No run on the private board{phase ? ` of phase ${phase}` : ''} yet: none is scored, or its evaluator scores no private part.</>
          ) : phase ? (
            <>No scored runs in phase {phase}.</>
          ) : (
            <>
              No scored runs yet. <Link href="/submit">Submit a model</Link> with benchmark {props.name}.
            </>
          )}
        </p>
      )}
      {data && data.total > 0 && (
        <div class="table-wrap">
          <table class="board">
            <thead>
              <tr>
                <th scope="col" class="num rank">
                  #
                </th>
                <th scope="col">Model</th>
                {data.benchmark.metrics.map((m) => (
                  <th
                    scope="col"
                    class="num"
                    key={m.name}
                    title={m.description}
                    aria-sort={m.name === data.sort ? ((m.direction === 'higher') === (order === 'best') ? 'descending' : 'ascending') : undefined}
                  >
                    <button type="button" class="sort" onClick={() => go({ sort: m.name, order: m.name === data.sort && order === 'best' ? 'worst' : 'best' })}>
                      {m.name}
                      <span class="arrow" aria-hidden="true">
                        {m.name === data.sort ? ((m.direction === 'higher') === (order === 'best') ? '▼' : '▲') : ''}
                      </span>
                    </button>
                  </th>
                ))}
                <th scope="col" class="hide-narrow" title="Who submitted the best run, and the image digest it ran">
                  By
                </th>
                <th scope="col" class="hide-narrow">
                  {rule === 'best' ? 'Best run' : 'Run'}
                </th>
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e) => (
                <tr key={e.name} data-model={e.name} data-run={e.bestRun.id}>
                  <td class="num rank">{e.rank}</td>
                  <td class="name">
                    <Link href={`/models/${encodeURIComponent(e.name)}`} class="model-link">
                      {e.name}
                    </Link>
                    {e.olderEvaluator && (
                      <span class="older-evaluator" title={olderEvaluatorTitle(e)} aria-label={olderEvaluatorTitle(e)}>
                        {' ↻'}
                      </span>
                    )}
                  </td>
                  {data.benchmark.metrics.map((m) => (
                    <td class="num score" key={m.name}>
                      <Num value={e.metrics[m.name]} score />
                    </td>
                  ))}
                  <td class="hide-narrow">
                    <Provenance {...e.bestRun} />
                  </td>
                  <td class="hide-narrow">
                    <Link href={`/runs/${e.bestRun.id}`} class="run-link">
                      {timeAgo(e.bestRun.createdAt)}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total > PAGE_SIZE && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={page <= 1} onClick={() => go({ page: page - 1 })}>
            ← Previous
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE_SIZE, data.total)} of {data.total}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => go({ page: page + 1 })}>
            Next →
          </button>
        </nav>
      )}
    </section>
  );
}
