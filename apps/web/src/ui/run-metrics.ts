import { useEffect, useState } from 'preact/hooks';
import type { RunSummary, RunView } from '@modelrun/contracts';
import { api } from '../api';

/** The most runs whose full view is read to chart a self-scored metric. */
export const METRIC_RUNS = 50;
/** Requests in flight at once while reading them. */
const PARALLEL = 4;

/**
 * The metrics of self-scored runs. The leaderboard's summaries keep a benchmark run's metrics
 * only (a model may write dozens, on every run), so these come from each run's own view: the
 * newest run's names at once, every charted run's values only once a metric is picked.
 */
export function useRunMetrics(runs: readonly RunSummary[], wanted: boolean): Map<string, Record<string, number>> {
  const [found, setFound] = useState(new Map<string, Record<string, number>>());
  const ids = (wanted ? runs.slice(-METRIC_RUNS) : runs.slice(-1)).map((r) => r.id);
  const key = ids.join(',');
  useEffect(() => {
    const ctl = new AbortController();
    const todo = ids.filter((id) => !found.has(id));
    if (todo.length === 0) return;
    const next = new Map(found);
    const worker = async () => {
      for (let id = todo.shift(); id; id = todo.shift()) {
        const run = await api<RunView>('GET', `/v1/runs/${id}`, undefined, ctl.signal).catch(() => undefined);
        next.set(id, run?.metrics ?? {});
      }
    };
    void Promise.all(Array.from({ length: PARALLEL }, worker)).then(() => {
      if (!ctl.signal.aborted) setFound(next);
    });
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return found;
}
