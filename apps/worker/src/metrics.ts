import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunObserver } from './run/processor';

const DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** A GPU worker's devices by state, read from its engine at scrape time. */
export function gpuMetrics(registry: Registry, counts: () => Promise<{ free: number; held: number }>): void {
  new Gauge({
    name: 'modelrun_worker_gpus',
    help: "This worker's GPU devices (WORKER_GPUS), free or held by a container on its engine",
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const c = await counts();
        this.set({ state: 'free' }, c.free);
        this.set({ state: 'held' }, c.held);
      } catch {
        // The engine did not answer: keep the last values.
      }
    },
  });
}

/** The worker's own Prometheus metrics: what its runs did and how long each part took. */
export function createWorkerMetrics(): { registry: Registry; observer: RunObserver; volume: VolumeMetrics; engineUp(up: boolean): void } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'modelrun_worker_' });
  const started = new Counter({ name: 'modelrun_runs_started_total', help: 'Runs a worker picked up for the first time', registers: [registry] });
  const finished = new Counter({
    name: 'modelrun_runs_finished_total',
    help: 'Runs recorded, by status and reason (reason "none" for succeeded)',
    labelNames: ['status', 'reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'modelrun_run_duration_seconds',
    help: 'Time from container start to exit, by status',
    labelNames: ['status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const queued = new Histogram({
    name: 'modelrun_run_queue_wait_seconds',
    help: 'Time from submission to a worker picking the run up',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const containerStart = new Histogram({
    name: 'modelrun_container_start_seconds',
    help: "Time to start a run's container through the Engine API",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const active = new Gauge({ name: 'modelrun_worker_active_runs', help: 'Runs this worker is running now', registers: [registry] });
  const retried = new Counter({ name: 'modelrun_run_retries_total', help: 'Attempts that failed on an infrastructure fault and were retried', registers: [registry] });
  const adopted = new Counter({ name: 'modelrun_run_adoptions_total', help: 'Runs that found their container already there and adopted it', registers: [registry] });
  const handedToOwner = new Counter({ name: 'modelrun_run_owner_handbacks_total', help: 'Deliveries handed back to the queue because another live host owns the run', registers: [registry] });
  const takenOver = new Counter({ name: 'modelrun_run_takeovers_total', help: 'Runs taken over from a host whose lease lapsed', registers: [registry] });

  const writable = new Gauge({
    name: 'modelrun_worker_volume_writable',
    help: "1 while the volume takes this worker's records; 0 while it refuses them (full, read-only) and the worker takes no runs",
    registers: [registry],
  });
  writable.set(1);
  const pendingOutcomes = new Gauge({
    name: 'modelrun_pending_outcomes',
    help: "Finished runs whose records wait in Redis for the volume (all workers', as this worker last counted)",
    registers: [registry],
  });
  const volume: VolumeMetrics = { writable: (ok) => writable.set(ok ? 1 : 0), pending: (n) => pendingOutcomes.set(n) };
  const engine = new Gauge({
    name: 'modelrun_worker_engine_up',
    help: "1 while this host's Docker engine answers; 0 from a run's fault that found it unreachable until it answers a ping again (the worker takes no runs meanwhile)",
    registers: [registry],
  });
  engine.set(1);

  const observer: RunObserver = {
    picked: (_run, queuedMs) => {
      started.inc();
      queued.observe(queuedMs / 1000);
    },
    activeChanged: (delta) => active.inc(delta),
    containerStarted: (ms) => containerStart.observe(ms / 1000),
    adopted: () => adopted.inc(),
    retried: () => retried.inc(),
    handedToOwner: () => handedToOwner.inc(),
    tookOver: () => takenOver.inc(),
    finished: (record) => {
      finished.inc({ status: record.status, reason: record.reason ?? 'none' });
      if (record.durationMs !== undefined) duration.observe({ status: record.status }, record.durationMs / 1000);
    },
  };
  return { registry, observer, volume, engineUp: (up) => engine.set(up ? 1 : 0) };
}

export interface VolumeMetrics {
  writable(ok: boolean): void;
  pending(n: number): void;
}

/** What the worker's /healthz answers: 200 when `ok`. */
export interface WorkerHealth {
  ok: boolean;
  status: string;
  /** Why the worker takes no runs, when its volume refuses writes. */
  volume?: { error: string; since: string };
  /** Why the worker takes no runs, when its Docker engine is unreachable. */
  engine?: { error: string; since: string };
}

/**
 * What anyone who reaches /healthz may read: the state, and each fault's code (ENOSPC, EROFS,
 * ECONNREFUSED, ...) and since when. A fault's text names files, runs and hosts: the worker logs
 * it when it happens, and this open answer leaves it out.
 */
export function publicHealth(h: WorkerHealth): { ok: boolean; status: string; volume?: PublicFault; engine?: PublicFault } {
  const fault = (f: { error: string; since: string }): PublicFault => ({ code: /\b(E[A-Z]{2,})\b/.exec(f.error)?.[1] ?? 'failed', since: f.since });
  return { ok: h.ok, status: h.status, ...(h.volume && { volume: fault(h.volume) }), ...(h.engine && { engine: fault(h.engine) }) };
}

interface PublicFault {
  code: string;
  since: string;
}

/** How many ports past the default a worker tries before it lets the system pick one. */
const METRICS_PORT_TRIES = 100;

/**
 * Listens on `port`, or, unless the port was `fixed` by the operator, on the next free port
 * after it when another worker process of the host has it (up to METRICS_PORT_TRIES, then any
 * free port): several worker processes per host start with the defaults, each scrapeable at the
 * address it logs and publishes in the fleet view. A fixed port that is taken fails loudly.
 */
async function listenOn(server: http.Server, port: number, host: string, fixed: boolean): Promise<void> {
  const tries = fixed || port === 0 ? [port] : [...Array.from({ length: METRICS_PORT_TRIES }, (_, i) => port + i).filter((p) => p <= 65535), 0];
  for (const [i, p] of tries.entries()) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(p, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return;
    } catch (err) {
      const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!taken || i === tries.length - 1) {
        if (taken && fixed) throw new Error(`WORKER_METRICS_PORT ${port} on ${host} is taken by another process: set another port, or unset it to take the next free one`, { cause: err });
        throw err;
      }
    }
  }
}

/** Serves /metrics and /healthz for the worker (it has no other HTTP surface). */
export async function serveWorkerMetrics(registry: Registry, port: number, host: string, health: () => WorkerHealth, fixed = true): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (req.url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    } else if (req.url === '/healthz') {
      const { ok, ...body } = publicHealth(health());
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    } else {
      res.writeHead(404).end();
    }
  });
  await listenOn(server, port, host, fixed);
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
