import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '@modelrun/config';
import { GPU_RUN_QUEUE, RUN_QUEUE, type RunJobData } from '@modelrun/contracts';
import { Shutdown } from '@modelrun/lifecycle';
import { type Logger, errorFields } from '@modelrun/logger';
import { queueTelemetry } from '@modelrun/telemetry';
import { connectCheckedRedis, createRedis, hostOffer, parseQueueName, redactUrl, waitForRedis } from '@modelrun/queue';
import type { ModelRunner } from '@modelrun/runner';
import { ResultsStore } from '@modelrun/store';
import { type RunResult, createRunProcessor } from './run/processor';
import { recordAbandonedRun } from './run/abandoned';
import { stallOptions } from './run/faults';
import { type WorkerHealth, serveWorkerMetrics } from './metrics';
import { reconcile, startReconciler } from './reconciler';
import type { PulledImages } from './pull-ahead';
import { type WorkerOverrides, type WorkerServices, buildServices } from './services';
import { shutdownSteps } from './shutdown-steps';
import { startRoutedQueues } from './routed-queues';
import { consumeRescores } from './rescore-consumer';

export type { WorkerOverrides } from './services';

/** CLIENT LIST's name for the connection that carries a worker's run state (services.ts). */
export const WORKER_RUNS_CONNECTION = 'modelrun-worker-runs';

export interface StartedWorker {
  worker: Worker<RunJobData, RunResult>;
  runner: ModelRunner;
  /** Where /metrics and /healthz are served. */
  metricsUrl: string;
  /** The host (engine) this worker owns runs for. */
  hostId: string;
  /** The images modelrun pulled onto this host (undefined for a runner that pulls none). */
  pulledImages: PulledImages | undefined;
  /** Runs one reconcile pass now (tests and operators do not wait for the timer). */
  reconcileNow(): ReturnType<ReturnType<typeof startReconciler>['runNow']>;
  /** Stops taking runs, gives running ones the grace period, hands back the rest, closes. */
  close(reason?: string): Promise<void>;
}

/**
 * The worker process: its services (services.ts), the run processor behind a BullMQ consumer
 * per queue it serves, its metrics and reconciler; closed by the steps of shutdown-steps.ts.
 */
export async function startWorker(config: WorkerConfig, log: Logger, overrides: WorkerOverrides = {}): Promise<StartedWorker> {
  const redis = await connectCheckedRedis(config.redis, config.redisRequirePersistence, {
    role: 'consumer',
    name: 'modelrun-worker',
    onError: (err) => log.warn('redis connection error', { error: err.message }),
  });
  // The runs' own state (ownership, lease, cancel flags, pending outcomes, fair share) on a
  // connection of its own, auto-pipelined: the many small commands of 16 slots' runs share
  // round trips, which is most of what they cost Redis. BullMQ keeps `redis`: it blocks on it.
  const runs = createRedis(config.redis, {
    role: 'consumer',
    name: WORKER_RUNS_CONNECTION,
    pipelined: true,
    onError: (err) => log.warn('redis connection error', { connection: WORKER_RUNS_CONNECTION, error: err.message }),
  });
  const opened: Redis[] = [redis, runs];
  try {
    await waitForRedis(runs, config.redis, 10_000);
    const s = await buildServices(config, log, { redis, runs }, overrides);
    const { runner, store, hostId, observer, gpus, engine, volume, queues, lease, recorder, pulls, registryAuth } = s;
    const handback = new AbortController();
    const processRun = createRunProcessor({
      runner,
      store,
      recorder,
      control: s.control,
      cancels: s.cancels,
      ownership: s.ownership,
      hostId,
      log,
      allowedImages: config.allowedImages,
      limits: config.limits,
      handback: handback.signal,
      logMaxBytes: config.sandbox.logMaxBytes,
      observer,
      benchmarks: config.benchmarks,
      quotas: s.quotas,
      refusing: () => s.intake.refusing(),
      sawFault: (err) => engine.sawFault(err),
      ...(gpus && { gpus }),
      results: new ResultsStore(config.dataDir),
      keepPredictions: config.keepPredictions,
    });
    const processor = async (job: Job<RunJobData>, token?: string): Promise<RunResult> => {
      observer.activeChanged?.(1);
      // CPU runs of every queue this worker takes share its WORKER_CONCURRENCY slots (run-intake.ts).
      const cpu = parseQueueName(job.queueName)?.base === RUN_QUEUE;
      if (cpu) s.intake.cpuRun(job.queueName, 1);
      // The run no longer waits: it stops counting in its submitter's fair share (never delays the run).
      if (job.id) s.fairShare.left(job.id).catch((err: Error) => log.warn('could not note a run leaving the queue', { runId: job.id, error: err.message }));
      try {
        return await processRun(job, token);
      } finally {
        if (cpu) s.intake.cpuRun(job.queueName, -1);
        observer.activeChanged?.(-1);
      }
    };
    const worker = consume(config, s, RUN_QUEUE, config.concurrency, processor, redis, log);
    // Only a GPU worker takes GPU runs; each holds at least one device, so no more at once than devices.
    const gpuWorker = gpus ? consume(config, s, GPU_RUN_QUEUE, gpus.ids.length, processor, redis, log) : undefined;
    const consumers = [worker, ...(gpuWorker ? [gpuWorker] : [])];
    s.intake.consumers.push(...consumers);
    s.intake.shareCpuSlots(config.concurrency, worker);
    // Issue 19: re-scores of benchmark runs, strictly behind the submissions of the runs queue
    // (rescore-gate.ts), closed at shutdown with the runs' consumers.
    const rescores = consumeRescores(config, redis, runner, store, log, { intake: s.intake, runs: worker, runsQueue: queues.cpu });
    const shutdown = new Shutdown(log);
    // Runs that require labels or runtimes come from queues of their own: those this host has all of.
    const runtimes = (await runner.runtimes?.()) ?? [];
    const routes = startRoutedQueues({
      queues,
      offer: hostOffer(config.labels, runtimes),
      gpuSlots: gpus?.ids.length ?? 0,
      cpuSlots: config.concurrency,
      consume: (name, concurrency) => {
        // Its waiting runs' images are pulled ahead too, as the base queues' are.
        pulls?.queues.push(queues.named(name));
        return consume(config, s, name, concurrency, processor, redis, log);
      },
      adopt: (consumer) => {
        consumers.push(consumer);
        s.intake.adopt(consumer, parseQueueName(consumer.name)?.base === RUN_QUEUE ? 'cpu' : undefined);
      },
      closing: () => shutdown.started,
      log,
    });
    const health = (): WorkerHealth => {
      if (shutdown.started) return { ok: false, status: 'shutting down' };
      if (volume.fault) return { ok: false, status: 'volume unwritable: taking no runs', volume: volume.fault };
      if (engine.fault) return { ok: false, status: 'engine unreachable: taking no runs', engine: engine.fault };
      return { ok: true, status: 'ok' };
    };
    const metricsServer = await serveWorkerMetrics(s.metrics.registry, config.metricsPort, config.metricsHost, health, config.metricsPortFixed);
    await s.fleet.start(metricsServer.url, () => consumers.map((c) => c.name));
    recorder.start();
    const reconciler = startReconciler(() => reconcile({ runner, queue: queues, ownership: s.ownership, hostId, graceSeconds: config.reconcileGraceSeconds }, log), config.reconcileSeconds, log);
    lease.whenLapsed(() => void reconciler.runNow());
    void reconciler.runNow();
    log.info('worker started', {
      concurrency: config.concurrency,
      ...(gpus && { gpus: gpus.ids }),
      host: hostId,
      labels: config.labels,
      // What runs that require a runtime (a benchmark's) may find here: `runtime=<name>` labels.
      runtimes,
      leaseSeconds: config.leaseSeconds,
      redis: redactUrl(config.redis),
      dataDir: store.layout.root,
      prefix: config.deployment,
      metrics: metricsServer.url,
      // Which registries have credentials, never the credentials.
      ...(registryAuth && { registryAuthFile: registryAuth.path, registriesWithCredentials: registryAuth.registries }),
    });

    const graceMs = config.shutdownGraceSeconds * 1000;
    const steps = shutdownSteps(s, {
      consumers,
      handback,
      graceMs,
      drainCleanups: () => processRun.drain(),
      reconciler,
      metricsServer,
      connections: opened,
      ...(rescores && { otherConsumers: [rescores as unknown as Worker] }),
    });
    return {
      worker,
      runner,
      metricsUrl: metricsServer.url,
      hostId,
      pulledImages: pulls?.pulled,
      reconcileNow: () => reconciler.runNow(),
      close: (reason = 'close') => {
        routes.stop();
        return shutdown.run(steps, graceMs + 15_000, reason);
      },
    };
  } catch (err) {
    opened.forEach((r) => r.disconnect());
    throw err;
  }
}

/** A BullMQ consumer of one queue; a job BullMQ fails by itself (its worker died too often) is still recorded. */
function consume(
  config: WorkerConfig,
  s: WorkerServices,
  queueName: string,
  concurrency: number,
  processor: (job: Job<RunJobData>, token?: string) => Promise<RunResult>,
  redis: Redis,
  log: Logger,
): Worker<RunJobData, RunResult> {
  const w = new Worker<RunJobData, RunResult>(queueName, processor, {
    connection: redis,
    prefix: config.deployment,
    concurrency,
    lockDuration: config.lockMs,
    stalledInterval: config.stalledIntervalMs,
    ...stallOptions(config),
    // With tracing on, each job runs in a consumer span whose parent is the API's queue.add.
    ...queueTelemetry(),
  });
  w.on('error', (err) => log.warn('worker error', errorFields(err)));
  w.on('failed', (job: Job<RunJobData> | undefined, err: Error) => {
    if (job) void recordAbandonedRun(job, err, s.recorder, s.runner, log, s.quotas);
  });
  return w;
}
