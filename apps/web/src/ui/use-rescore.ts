import { useEffect, useRef, useState } from 'preact/hooks';
import type { RescoreProgress } from '@modelrun/contracts';
import { ApiError, api } from '../api';
import { rescoreDone } from './rescore-view';

/** A re-score's progress is read this often until every run has an outcome. */
const POLL_MS = 1_000;
/** Failed reads in a row (a 503, a dropped connection) before the page gives up and says why. */
const BLIPS = 5;

export interface Rescore {
  /** POSTs `path` (a run's or a benchmark's rescore), then follows the re-score until done. */
  start: (path: string, body?: unknown) => Promise<void>;
  /** The latest progress read, once the API took the re-score. */
  progress?: RescoreProgress;
  error?: Error;
  /** Started and not yet done. */
  busy: boolean;
}

/**
 * Starts a re-score and follows `GET /v1/rescores/{id}` until each run has an outcome, then
 * calls `onDone` (the page reads the run or the board again). A page left on the way stops
 * asking. A refusal (403, 404, 409) is shown in the API's words at once; a blip is retried.
 */
export function useRescore(onDone: (p: RescoreProgress) => void): Rescore {
  const [progress, setProgress] = useState<RescoreProgress>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const start = async (path: string, body?: unknown) => {
    setBusy(true);
    setError(undefined);
    setProgress(undefined);
    try {
      let p = await api<RescoreProgress>('POST', path, body);
      setProgress(p);
      let blips = 0;
      while (!rescoreDone(p)) {
        await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
        if (!mounted.current) return;
        try {
          p = await api<RescoreProgress>('GET', `/v1/rescores/${encodeURIComponent(p.id)}`);
          blips = 0;
        } catch (err) {
          const refused = err instanceof ApiError && err.status < 500;
          if (refused || ++blips >= BLIPS) throw err;
          continue;
        }
        if (mounted.current) setProgress(p);
      }
      if (mounted.current) onDone(p);
    } catch (err) {
      if (mounted.current) setError(err as Error);
    } finally {
      if (mounted.current) setBusy(false);
    }
  };
  return { start, busy, ...(progress && { progress }), ...(error && { error }) };
}
