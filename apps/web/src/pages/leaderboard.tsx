import type { ModelPage, ModelSort } from '@modelrun/contracts';
import { api } from '../api';
import { timeAgo } from '../ui/format';
import { Num } from '../ui/num';
import { Provenance } from '../ui/provenance';
import { ErrorNote, LiveNote } from '../ui/notes';
import { usePoll } from '../ui/poll';
import { Link, type Location, navigate } from '../ui/router';
import { StatusBadge } from '../ui/status';

/** Models a page (`?size=` changes it, 1-100). */
const PAGE_SIZE = 20;
/** Leaderboard refresh: finished runs show up within this long, without a reload. */
const POLL_MS = 3_000;

const COLUMNS: { sort: ModelSort; label: string; class?: string }[] = [
  { sort: 'name', label: 'Model' },
  { sort: 'score', label: 'Best score', class: 'num' },
  { sort: 'latest', label: 'Latest run' },
  { sort: 'runs', label: 'Runs', class: 'num hide-narrow' },
];
const naturalOrder = (sort: ModelSort) => (sort === 'name' ? 'asc' : 'desc');

/** Every model, best score first by default; sortable, paginated, live. */
export function Leaderboard(props: { loc: Location }) {
  const q = props.loc.query;
  const sort = (COLUMNS.find((c) => c.sort === q.get('sort'))?.sort ?? 'score') as ModelSort;
  const order = q.get('order') === 'asc' || q.get('order') === 'desc' ? (q.get('order') as 'asc' | 'desc') : naturalOrder(sort);
  const page = Math.max(1, Number.parseInt(q.get('page') ?? '1', 10) || 1);
  const size = Math.min(100, Math.max(1, Number.parseInt(q.get('size') ?? '', 10) || PAGE_SIZE));
  const offset = (page - 1) * size;
  const url = `/v1/models?sort=${sort}&order=${order}&limit=${size}&offset=${offset}`;
  const board = usePoll((signal) => api<ModelPage>('GET', url, undefined, signal), [url], POLL_MS);

  const go = (next: { sort?: ModelSort; order?: string; page?: number }) => {
    const s = next.sort ?? sort;
    const params = new URLSearchParams({ sort: s, order: next.order ?? naturalOrder(s), page: String(next.page ?? 1), ...(size !== PAGE_SIZE && { size: String(size) }) });
    navigate(`/?${params}`, true);
  };
  const data = board.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / size)) : 1;

  return (
    <section>
      <div class="page-head">
        <h1>Leaderboard</h1>
        {!board.error && <LiveNote at={board.at} />}
      </div>
      <ErrorNote error={board.error} />
      {data && data.total === 0 && (
        <p class="empty">
          No runs yet. <Link href="/submit">Submit a model</Link> to put it on the board.
        </p>
      )}
      {data && data.total > 0 && (
        <p class="muted board-note">
          Best score: the best score a model wrote itself. A benchmark's runs are scored by its evaluator and ranked on <Link href="/benchmarks">its own board</Link>.
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
                {COLUMNS.map((c) => (
                  <th scope="col" class={c.class} aria-sort={c.sort === sort ? (order === 'asc' ? 'ascending' : 'descending') : undefined}>
                    <button type="button" class="sort" onClick={() => go({ sort: c.sort, order: c.sort === sort ? (order === 'asc' ? 'desc' : 'asc') : naturalOrder(c.sort) })}>
                      {c.label}
                      <span class="arrow" aria-hidden="true">
                        {c.sort === sort ? (order === 'asc' ? '▲' : '▼') : ''}
                      </span>
                    </button>
                  </th>
                ))}
                <th scope="col" class="hide-narrow" title="Who submitted the best run (else the latest), and the image digest it ran">
                  By
                </th>
              </tr>
            </thead>
            <tbody>
              {data.models.map((m, i) => (
                <tr key={m.name} data-model={m.name}>
                  <td class="num rank">{offset + i + 1}</td>
                  <td class="name">
                    <Link href={`/models/${encodeURIComponent(m.name)}`} class="model-link">
                      {m.name}
                    </Link>
                  </td>
                  <td class="num score">
                    {m.bestScore === undefined && m.latestRun.benchmark ? (
                      // A model scored only by benchmarks has no score of its own: say where its scores are.
                      <Link href={`/benchmarks/${encodeURIComponent(m.latestRun.benchmark)}`} class="elsewhere">
                        on {m.latestRun.benchmark} →
                      </Link>
                    ) : (
                      <Num value={m.bestScore} score />
                    )}
                  </td>
                  <td>
                    <Link href={`/runs/${m.latestRun.id}`} class="run-link">
                      <StatusBadge status={m.latestRun.status} phase={m.latestRun.phase} />
                    </Link>{' '}
                    {m.latestRun.benchmark && (
                      <span class="tag" title={`A run of benchmark ${m.latestRun.benchmark}`}>
                        {m.latestRun.benchmark}
                      </span>
                    )}{' '}
                    <span class="muted hide-narrow" title={m.latestRun.createdAt}>
                      {timeAgo(m.latestRun.createdAt)}
                    </span>
                  </td>
                  <td class="num hide-narrow">{m.runCount}</td>
                  <td class="hide-narrow">
                    <Provenance {...(m.bestRun ?? m.latestRun)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total > size && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={page <= 1} onClick={() => go({ sort, order, page: page - 1 })}>
            ← Previous
          </button>
          <span>
            {offset + 1}–{Math.min(offset + size, data.total)} of {data.total}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => go({ sort, order, page: page + 1 })}>
            Next →
          </button>
        </nav>
      )}
    </section>
  );
}
