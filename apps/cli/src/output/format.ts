import type { AppliedLimits, RunSummary, RunView } from '@modelrun/contracts';

export function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 3600 ? `${Math.floor(s / 60)} m ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`;
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

export function score(n: number | undefined): string {
  return n === undefined ? '-' : String(Number(n.toPrecision(6)));
}

/** How long ago, from an ISO time. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const ms = now - Date.parse(iso);
  return ms < 0 ? 'just now' : `${seconds(ms).replace(/\.\d s$/, ' s')} ago`;
}

export function describeLimits(l: AppliedLimits): string {
  return `${l.timeoutSeconds} s, ${l.memoryMb} MiB memory, ${l.cpus} CPU${l.cpus === 1 ? '' : 's'}${l.gpus > 0 ? `, ${l.gpus} GPU${l.gpus === 1 ? '' : 's'}` : ''}`;
}

/** Status as one word plus what matters about it: `failed (exit_code)`, `running: pulling`. */
export function statusText(run: RunSummary): string {
  if (run.status === 'running' && run.phase) return `running: ${run.phase}`;
  if (run.reason && run.status !== 'cancelled') return `${run.status} (${run.reason})`;
  return run.status;
}

/** How long a finished (or live) run's model ran, from its start to its end, or to now. */
export function elapsed(run: Pick<RunView, 'startedAt' | 'finishedAt' | 'durationMs' | 'ranMs'>, now = Date.now()): string | undefined {
  const ran = run.ranMs ?? run.durationMs;
  if (ran !== undefined) return seconds(ran);
  if (!run.startedAt) return undefined;
  return seconds((run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt));
}
