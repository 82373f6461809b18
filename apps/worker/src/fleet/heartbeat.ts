import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EngineFacts, GpuCounts, HostLabels } from '@modelrun/contracts';
import { type Logger, errorFields } from '@modelrun/logger';
import type { FleetRegistry } from '@modelrun/run-control';
import { ENGINE_FACTS_EVERY_MS } from './engine-facts';

/** The worker's version, as its package says (the same file in src/ and dist/ layouts). */
export const WORKER_VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The longest between heartbeats: an operator's drain reaches the workers within this. */
const HEARTBEAT_MAX_MS = 3_000;

/** GPU counts ask the engine which devices its containers hold: fresher than the engine figures, still not every beat. */
const GPU_COUNTS_EVERY_MS = 10_000;

/**
 * `read` at most once per `everyMs`: a fresh value when it was read again, undefined between
 * (the registry keeps the last one). A failed read is tried again at the next beat.
 */
function refreshedEvery<T>(everyMs: number, read: () => Promise<T>, failed: (err: Error) => void): () => Promise<T | undefined> {
  let at = 0;
  return async () => {
    if (Date.now() - at < everyMs) return undefined;
    at = Date.now();
    try {
      return await read();
    } catch (err) {
      failed(err as Error);
      at = 0;
      return undefined;
    }
  };
}

/** What the heartbeat reads from the running worker each beat (all cheap: no engine calls). */
export interface ProcessState {
  slotsBusy(): number;
  /** Why the worker takes no runs now, or undefined. */
  refusing(): string | undefined;
  engineUp(): boolean;
  volumeWritable(): boolean;
  leaseRenewedAt(): number;
  /** Asks the engine: read every GPU_COUNTS_EVERY_MS only. */
  gpus?(): Promise<GpuCounts>;
}

export interface HeartbeatOptions {
  registry: FleetRegistry;
  host: string;
  instanceId: string;
  labels: HostLabels;
  leaseSeconds: number;
  concurrency: number;
  /** The queues it consumes now (routed queues join while it runs). */
  queues: () => string[];
  metricsUrl: string;
  state: ProcessState;
  /** The engine's figures (slow: docker df); asked at most once a minute. */
  engineFacts: () => Promise<EngineFacts>;
  /** Called when the host's drain request appears (true) or goes (false). */
  onDrain: (drained: boolean) => void;
  log: Logger;
  factsEveryMs?: number;
}

export interface Heartbeat {
  /** Beats now (start-up waits for the first, so the process shows in the fleet at once). */
  beatNow(): Promise<void>;
  /** Stops beating and takes the process out of the fleet view. */
  stop(): Promise<void>;
}

/**
 * Publishes this worker process in the fleet registry every few seconds, and follows its host's
 * drain request. The engine's figures ride along only when refreshed (once a minute); the rest
 * of the beat reads counters in memory and writes one Redis transaction.
 */
export function startHeartbeat(o: HeartbeatOptions): Heartbeat {
  const leaseMs = o.leaseSeconds * 1000;
  const startedAt = new Date().toISOString();
  const factsEveryMs = o.factsEveryMs ?? ENGINE_FACTS_EVERY_MS;
  const facts = refreshedEvery(factsEveryMs, o.engineFacts, (err) => o.log.warn('could not read the engine figures for the fleet view', errorFields(err)));
  const gpus = o.state.gpus && refreshedEvery(GPU_COUNTS_EVERY_MS, o.state.gpus, () => undefined);
  // A worker starts taking runs: only a drain (and then its end) changes that.
  let drained = false;
  let failing = false;
  let stopped = false;

  const beatNow = async (): Promise<void> => {
    if (stopped) return;
    try {
      const [engine, gpuCounts] = await Promise.all([facts(), gpus?.()]);
      const refusing = o.state.refusing();
      const request = await o.registry.heartbeat({
        host: o.host,
        labels: o.labels,
        leasePeriodMs: leaseMs,
        leaseRenewedAt: o.state.leaseRenewedAt(),
        process: {
          instanceId: o.instanceId,
          pid: process.pid,
          hostname: hostname(),
          version: WORKER_VERSION,
          concurrency: o.concurrency,
          slotsBusy: o.state.slotsBusy(),
          queues: o.queues(),
          metricsUrl: o.metricsUrl,
          startedAt,
          takingRuns: refusing === undefined,
          ...(refusing !== undefined && { refusing }),
          engineUp: o.state.engineUp(),
          volumeWritable: o.state.volumeWritable(),
        },
        ...(engine && { engine }),
        ...(gpuCounts && { gpus: gpuCounts }),
      });
      if (failing) o.log.info('fleet heartbeat written again');
      failing = false;
      const now = request !== undefined;
      if (now !== drained && !stopped) {
        drained = now;
        o.onDrain(now);
      }
    } catch (err) {
      if (!failing) o.log.warn('could not write the fleet heartbeat', errorFields(err));
      failing = true;
    }
  };

  const timer = setInterval(() => void beatNow(), Math.min(HEARTBEAT_MAX_MS, Math.max(500, Math.floor(leaseMs / 3))));
  timer.unref();
  return {
    beatNow,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await o.registry.leave(o.host, o.instanceId).catch(() => undefined);
    },
  };
}
