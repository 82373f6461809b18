import { readFileSync } from 'node:fs';

/** A process's resident set size in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb[1]) * 1024;
}

export interface RssSampler {
  /** The first sample: the process before the load. */
  readonly first: number;
  /** The highest sample so far. */
  readonly peak: number;
  /** Every sample so far, in bytes. */
  readonly samples: number[];
  stop(): void;
}

/**
 * Samples a process's RSS every `everyMs` until stopped. A peak over a run, not an end value:
 * memory that grows and is freed again still counts, as it would for the OOM killer.
 */
export function sampleRss(pid: number, everyMs = 100): RssSampler {
  const samples = [rssOf(pid)];
  const timer = setInterval(() => {
    try {
      samples.push(rssOf(pid));
    } catch {
      clearInterval(timer);
    }
  }, everyMs);
  return {
    get first() {
      return samples[0]!;
    },
    get peak() {
      return Math.max(...samples);
    },
    samples,
    stop: () => clearInterval(timer),
  };
}

export const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
