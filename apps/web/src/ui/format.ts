import type { FailureReason, RunStatus } from '@modelrun/contracts';

export const formatScore = (score: number | undefined): string => (score === undefined ? '—' : score.toFixed(4));

const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const FRACTION = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });

/**
 * Any number a model wrote, for reading: whole numbers whole (1,347), others to at most four
 * decimals (0.9911), and tiny ones in exponent form (1.2e-5) rather than as 0.0000. The exact
 * value goes in the element's title (see `Num`), so nothing is lost by rounding the text.
 */
export function formatNumber(v: number | undefined): string {
  if (v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return WHOLE.format(v);
  if (Math.abs(v) < 0.001) return v.toExponential(1);
  return FRACTION.format(v);
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "3 min ago", with the exact time in the title attribute where it is used. */
export function timeAgo(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export const formatTime = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

export const shortId = (id: string): string => id.slice(-8);

export const STATUS_WORDS: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The failure reasons in words, for the model's author (docs/api.md's table of failure reasons, shortened). */
export const REASON_WORDS: Record<FailureReason, string> = {
  exit_code: 'The model exited with an error',
  oom: 'It ran out of memory',
  timeout: 'It ran past its time limit',
  bad_output: 'Its score was missing or unusable',
  image_not_found: 'The image could not be found or is not allowed',
  image_not_allowed: 'The image is not allowed on this deployment',
  registry_auth: 'The registry refused to give the image (credentials missing or wrong)',
  infrastructure: 'The platform failed on every attempt',
  cancelled: 'It was cancelled',
  evaluator_failed: "The benchmark's evaluator could not score it",
};
