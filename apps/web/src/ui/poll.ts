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

/**
 * Live data without a reload: fetches now, then every `everyMs` while `active(data)` says so.
 * Each poll revalidates with the ETag, so an unchanged leaderboard costs a 304.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], everyMs: number, active: (data: T | undefined) => boolean = () => true): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>({});
  const [tick, setTick] = useState(0);
  const activeRef = useRef(active);
  activeRef.current = active;

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
        setState({ data: last, at: new Date() });
        again = activeRef.current(last);
      } catch (err) {
        if (ctl.signal.aborted) return;
        setState((s) => ({ ...s, error: err as Error }));
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
  }, [...deps, tick]);

  return { ...state, refresh: () => setTick((t) => t + 1) };
}
