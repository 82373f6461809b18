import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';

export interface Polled<T> {
  data?: T;
  error?: ApiError | Error;
  /** When the data last came in. */
  at?: Date;
  /** Fetches again now (after an action changed what is shown). */
  refresh: () => void;
}

/** What was loaded, and for which deps: data for other deps is never shown as the current one's. */
interface Loaded<T> extends Omit<Polled<T>, 'refresh'> {
  key?: string;
}

/**
 * Live data without a reload: fetches now, then every `everyMs` while `active(data)` says so.
 * Each poll revalidates with the ETag, so an unchanged leaderboard costs a 304.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], everyMs: number, active: (data: T | undefined) => boolean = () => true): Polled<T> {
  const [state, setState] = useState<Loaded<T>>({});
  const [tick, setTick] = useState(0);
  const activeRef = useRef(active);
  activeRef.current = active;
  const key = JSON.stringify(deps);

  useEffect(() => {
    const ctl = new AbortController();
    let timer: number | undefined;
    let first = true;
    let last: T | undefined;
    const run = async () => {
      // A hidden tab keeps its timer but asks nothing of the API until it is looked at again.
      if (!first && document.hidden) {
        timer = window.setTimeout(run, everyMs);
        return;
      }
      first = false;
      let again: boolean;
      try {
        last = await load(ctl.signal);
        setState({ key, data: last, at: new Date() });
        again = activeRef.current(last);
      } catch (err) {
        if (ctl.signal.aborted) return;
        setState((s) => (s.key === key ? { ...s, error: err as Error } : { key, error: err as Error }));
        // A blip (503, a dropped connection) is retried; a thing that is not there is not.
        again = !(err instanceof ApiError && (err.status === 404 || err.status === 401)) && (last === undefined || activeRef.current(last));
      }
      if (!ctl.signal.aborted && again) timer = window.setTimeout(run, everyMs);
    };
    void run();
    return () => {
      ctl.abort();
      window.clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);

  // Until the new deps' first answer, there is nothing to show: the previous page's rows under
  // this page's numbers would be wrong (the leaderboard once showed page 1's models as "3–3 of 3").
  const { key: loadedFor, ...shown } = state;
  return { ...(loadedFor === key ? shown : {}), refresh: () => setTick((t) => t + 1) };
}
