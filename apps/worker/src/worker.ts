import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '@modelrun/config';
import { GPU_RUN_QUEUE, RUN_QUEUE, type RunJobData, type RunRecord } from '@modelrun/contracts';
import { Shutdown, StartupError } from '@modelrun/lifecycle';
import { type Logger, errorFields } from '@modelrun/logger';
import { RunQueues, connectCheckedRedis, redactUrl } from '@modelrun/queue';
import { PendingOutcomes, QuotaLedger, RunControl, RunOwnership } from '@modelrun/run-control';
import { type ModelRunner, RegistryAuthFile, createDockerRunner } from '@modelrun/runner';
import { RecordStore } from '@modelrun/store';
import { type RunObserver, type RunResult, createRunProcessor } from './run/processor';
import { recordAbandonedRun } from './run/abandoned';
import { type WorkerHealth, createWorkerMetrics, gpuMetrics, serveWorkerMetrics } from './metrics';
import { Recorder } from './recording/recorder';
import { VolumeHealth } from './recording/volume-health';
import { EngineHealth } from './engine-health';
import { RunIntake } from './run-intake';
import { reconcile, startReconciler } from './reconciler';
import { keepHostLease } from './fleet/lease';
import { GpuDevices } from './gpu/devices';
import { startWebhooks } from './webhooks';
import { type PulledImages, startImagePulls } from './pull-ahead';

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

export interface WorkerOverrides {
  runner?: ModelRunner;
  observer?: RunObserver;
}

/** Everything the worker process needs, wired by hand in start-up order. */
export async function startWorker(config: WorkerConfig, log: Logger, overrides: WorkerOverrides = {}): Promise<StartedWorker> {
  const redis = await connectCheckedRedis(config.redis, config.redisRequirePersistence, {
    role: 'consumer',
    name: 'modelrun-worker',
    onError: (err) => log.warn('redis connection error', { error: err.message }),
  });
  const opened: Redis[] = [redis];
  try {
    const registryAuth = config.registryAuthFile
      ? await RegistryAuthFile.open(config.registryAuthFile, (message, fields) => log.warn(message, fields)).catch((err: Error) => {
          throw new StartupError(err.message);
        })
      : undefined;
    const runner =
      overrides.runner ??
      createDockerRunner({
        dockerHost: config.dockerHost,
        deployment: config.queuePrefix,
        sandbox: config.sandbox,
        ...(registryAuth && { credentials: (image: string) => registryAuth.for(image) }),
      });
    await runner.ping().catch((err: Error) => {
      throw new StartupError(`${err.message}: start the Docker engine (dockerd) or set DOCKER_HOST`);
    });
    await runner.checkRuntime?.().catch((err: Error) => {
      throw new StartupError(err.message);
    });
    const store = new RecordStore(config.dataDir);
    await store.probeWritable().catch((err: Error) => {
      throw new StartupError(`DATA_DIR ${store.layout.root} is not writable: ${err.message}`);
    });
    const control = new RunControl(redis, config.queuePrefix);
    const hostId =
      config.hostId ??
      (await runner.engineId().catch((err: Error) => {
        throw new StartupError(`${err.message}: set WORKER_HOST_ID to name this host`);
      }));
    const ownership = new RunOwnership(redis, config.queuePrefix);
    const metrics = createWorkerMetrics();
    // Which reasons keep this worker from taking runs (its volume, its engine) right now.
    const intake = new RunIntake();
    // While the engine is unreachable the worker takes no runs: each would only spend an attempt.
    const engine = new EngineHealth(
      () => runner.ping(),
      (fault) => {
        metrics.engineUp(!fault);
        if (fault) log.error('the Docker engine is unreachable: taking no new runs until it answers', { error: fault.error });
        else log.info('the Docker engine answers again: taking runs');
        intake.refuse('engine', fault && `the Docker engine is unreachable: ${fault.error}`);
      },
    );
    // A host whose engine stays unreachable a whole lease is given up: its runs go to other hosts.
    const lease = keepHostLease(ownership, hostId, config.leaseSeconds, log, (leaseMs) =>
      engine.downForMs() >= leaseMs ? `the Docker engine has been unreachable for ${Math.round(engine.downForMs() / 1000)} s` : undefined,
    );
    await lease.renewNow();
    const quotas = new QuotaLedger(redis, config.queuePrefix);
    const queues = new RunQueues(redis, config.queuePrefix, (err) => log.warn('queue error', { error: err.message }));
    const gpus = config.gpus.length > 0 ? new GpuDevices(config.gpus, runner) : undefined;
    const handback = new AbortController();
    if (gpus) gpuMetrics(metrics.registry, () => gpus.counts());
    const webhooks = startWebhooks(config.webhooks, redis, config.queuePrefix, metrics.registry, log);
    const observer = onRecorded(overrides.observer ?? metrics.observer, (record) => webhooks?.runRecorded(record));
    const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const pending = new PendingOutcomes(redis, config.queuePrefix);
    const pulls = startImagePulls({ config, runner, redis, queues, hostId, registry: metrics.registry, log });
    // While the volume refuses records the worker takes no new runs; say so everywhere.
    const volume = new VolumeHealth((fault) => {
      metrics.volume.writable(!fault);
      if (fault) log.error('the volume refuses writes: taking no new runs until it takes them again', { error: fault.error, dataDir: store.layout.root });
      else log.info('the volume takes writes again: taking runs');
      intake.refuse('volume', fault && `the volume refuses writes: ${fault.error}`);
      pending.reportVolumeFault(workerId, fault).catch((err: Error) => log.warn('could not report the volume state to Redis', { error: err.message }));
    });
    const recorder = new Recorder({
      store,
      pending,
      volume,
      log,
      retryMaxMs: config.recordRetryMaxMs,
      onRecorded: (record) => observer.finished?.(record),
      onPendingCount: (n) => {
        metrics.volume.pending(n);
        // Keeps the report fresh in Redis while the fault lasts (it expires for a dead worker).
        if (volume.fault) pending.reportVolumeFault(workerId, volume.fault).catch(() => undefined);
      },
    });

    const processRun = createRunProcessor({
      runner,
      store,
      recorder,
      control,
      ownership,
      hostId,
      log,
      allowedImages: config.allowedImages,
      limits: config.limits,
      handback: handback.signal,
      logMaxBytes: config.sandbox.logMaxBytes,
      observer,
      benchmarks: config.benchmarks,
      quotas,
      refusing: () => intake.refusing(),
      sawFault: (err) => engine.sawFault(err),
      ...(gpus && { gpus }),
    });
    const processor = async (job: Job<RunJobData>, token?: string): Promise<RunResult> => {
      observer.activeChanged?.(1);
      try {
        return await processRun(job, token);
      } finally {
        observer.activeChanged?.(-1);
      }
    };
    const consume = (queueName: string, concurrency: number): Worker<RunJobData, RunResult> => {
      const w = new Worker<RunJobData, RunResult>(queueName, processor, {
        connection: redis,
        prefix: config.queuePrefix,
        concurrency,
        lockDuration: config.lockMs,
        stalledInterval: config.stalledIntervalMs,
        maxStalledCount: config.maxStalledCount,
      });
      w.on('error', (err) => log.warn('worker error', errorFields(err)));
      w.on('failed', (job: Job<RunJobData> | undefined, err: Error) => {
        if (job) void recordAbandonedRun(job, err, recorder, runner, log, quotas);
      });
      return w;
    };
    const worker = consume(RUN_QUEUE, config.concurrency);
    // Only a GPU worker takes GPU runs; each holds at least one device, so no more at once than devices.
    const gpuWorker = gpus ? consume(GPU_RUN_QUEUE, gpus.ids.length) : undefined;
    intake.consumers.push(worker, ...(gpuWorker ? [gpuWorker] : []));
    const shutdown = new Shutdown(log);
    const health = (): WorkerHealth => {
      if (shutdown.started) return { ok: false, status: 'shutting down' };
      if (volume.fault) return { ok: false, status: 'volume unwritable: taking no runs', volume: volume.fault };
      if (engine.fault) return { ok: false, status: 'engine unreachable: taking no runs', engine: engine.fault };
      return { ok: true, status: 'ok' };
    };
    const metricsServer = await serveWorkerMetrics(metrics.registry, config.metricsPort, config.metricsHost, health);
    recorder.start();
    const reconciler = startReconciler(() => reconcile({ runner, queue: queues, ownership, hostId, graceSeconds: config.reconcileGraceSeconds }, log), config.reconcileSeconds, log);
    lease.whenLapsed(() => void reconciler.runNow());
    void reconciler.runNow();
    log.info('worker started', {
      concurrency: config.concurrency,
      ...(gpus && { gpus: gpus.ids }),
      host: hostId,
      leaseSeconds: config.leaseSeconds,
      redis: redactUrl(config.redis),
      dataDir: store.layout.root,
      prefix: config.queuePrefix,
      metrics: metricsServer.url,
      // Which registries have credentials, never the credentials.
      ...(registryAuth && { registryAuthFile: registryAuth.path, registriesWithCredentials: registryAuth.registries }),
    });

    const graceMs = config.shutdownGraceSeconds * 1000;
    return {
      worker,
      runner,
      metricsUrl: metricsServer.url,
      hostId,
      pulledImages: pulls?.pulled,
      reconcileNow: () => reconciler.runNow(),
      close: (reason = 'close') =>
        shutdown.run(
          [
            { name: 'reconciler', run: async () => reconciler.stop() },
            { name: 'engine probe', run: async () => engine.stop() },
            { name: 'pull-ahead', run: async () => pulls?.pullAhead?.stop() },
            {
              name: 'runs',
              run: async () => {
                // close() stops fetching at once and resolves when running jobs have ended.
                const closed = Promise.all([worker.close(), gpuWorker?.close()]);
                const timer = setTimeout(() => handback.abort(), graceMs);
                await closed;
                clearTimeout(timer);
              },
            },
            { name: 'cleanups', run: () => processRun.drain() },
            // Not ended, only no longer renewed: a handed-back container stays this host's run.
            { name: 'lease', run: async () => lease.stop() },
            { name: 'webhooks', run: async () => webhooks?.close() },
            // Outcomes still pending stay in Redis: any other worker writes them.
            { name: 'recorder', run: () => recorder.stop() },
            { name: 'queue', run: () => queues.close() },
            { name: 'metrics', run: () => metricsServer.close() },
            { name: 'redis', run: async () => Promise.all(opened.map((r) => r.quit().catch(() => r.disconnect()))) },
          ],
          graceMs + 15_000,
          reason,
        ),
    };
  } catch (err) {
    opened.forEach((r) => r.disconnect());
    throw err;
  }
}

/** The observer, also telling `recorded` of every run this worker records (its webhooks). */
function onRecorded(observer: RunObserver, recorded: (record: RunRecord) => void): RunObserver {
  return {
    ...observer,
    finished: (record) => {
      observer.finished?.(record);
      recorded(record);
    },
  };
}
