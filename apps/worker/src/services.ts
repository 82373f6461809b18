import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '@modelrun/config';
import type { RunRecord } from '@modelrun/contracts';
import { StartupError } from '@modelrun/lifecycle';
import type { Logger } from '@modelrun/logger';
import { RunQueues } from '@modelrun/queue';
import { CancelWatch, FairShare, PendingOutcomes, QuotaLedger, RunControl, RunOwnership } from '@modelrun/run-control';
import { EngineImages, type ModelRunner, RegistryAuthFile, createDocker, createDockerRunner } from '@modelrun/runner';
import { RecordStore } from '@modelrun/store';
import type { RunObserver } from './run/processor';
import { createWorkerMetrics, gpuMetrics } from './metrics';
import { Recorder } from './recording/recorder';
import { VolumeHealth } from './recording/volume-health';
import { EngineHealth } from './engine-health';
import { RunIntake } from './run-intake';
import { keepHostLease } from './fleet/lease';
import { FleetPresence } from './fleet/presence';
import { GpuDevices } from './gpu/devices';
import { startWebhooks } from './webhooks';
import { startImagePulls } from './pull-ahead';
import { startImagePruner } from './disk/image-pruner';

export interface WorkerOverrides {
  runner?: ModelRunner;
  observer?: RunObserver;
}

/**
 * - `redis`: BullMQ's consumers and queues, the cancel watch, the fleet view, webhooks, pulls.
 * - `runs`: auto-pipelined; what each run reads and writes of its own state outside its job
 *   (ownership and the host's lease, cancel flags and side state, pending outcomes, quotas,
 *   fair share). Nothing may block on it.
 */
export interface WorkerConnections {
  redis: Redis;
  runs: Redis;
}

/** The worker's services, built in start-up order; startWorker runs them and shutdownSteps stops them. */
export type WorkerServices = Awaited<ReturnType<typeof buildServices>>;

/**
 * Builds everything a worker's runs use, checking at each step what a worker cannot start
 * without (the engine, its runtime, a writable volume, a name for its host): a StartupError says
 * which and what to do.
 */
export async function buildServices(config: WorkerConfig, log: Logger, connections: WorkerConnections, overrides: WorkerOverrides) {
  const { redis, runs } = connections;
  const registryAuth = config.registryAuthFile
    ? await RegistryAuthFile.open(config.registryAuthFile, (message, fields) => log.warn(message, fields)).catch((err: Error) => {
        throw new StartupError(err.message);
      })
    : undefined;
  const runner =
    overrides.runner ??
    createDockerRunner({
      dockerHost: config.dockerHost,
      deployment: config.deployment,
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
  const control = new RunControl(runs, config.deployment);
  // Cancels reach this worker's runs as they are asked for, on a connection of their own.
  const cancels = new CancelWatch(redis, config.deployment, { onError: (err) => log.warn('cancel watch: redis error', { error: err.message }) });
  await cancels.start();
  const hostId =
    config.hostId ??
    (await runner.engineId().catch((err: Error) => {
      throw new StartupError(`${err.message}: set WORKER_HOST_ID to name this host`);
    }));
  const ownership = new RunOwnership(runs, config.deployment);
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
  const quotas = new QuotaLedger(runs, config.deployment);
  // Who waits how much in the queue: a run that a worker takes stops counting in its submitter's share.
  const fairShare = new FairShare(runs, config.deployment);
  const queues = new RunQueues(redis, config.deployment, (err) => log.warn('queue error', { error: err.message }));
  const gpus = config.gpus.length > 0 ? new GpuDevices(config.gpus, runner) : undefined;
  if (gpus) gpuMetrics(metrics.registry, () => gpus.counts());
  const webhooks = startWebhooks(config.webhooks, redis, config.deployment, metrics.registry, log);
  const observer = onRecorded(overrides.observer ?? metrics.observer, (record) => webhooks?.runRecorded(record));
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const pending = new PendingOutcomes(runs, config.deployment);
  const pulls = startImagePulls({ config, runner, redis, queues, hostId, registry: metrics.registry, log });
  // Keeps the engine's disk under its high mark by removing modelrun's images unused the longest (WORKER_DISK_*).
  const pruning = config.imagePruning;
  const images = runner.images;
  const pruner =
    pruning && pulls && images
      ? startImagePruner({
          engine: new EngineImages(createDocker(config.dockerHost)),
          pulled: pulls.pulled,
          queues: () => queues.all,
          inFlight: () => images.inFlight().map((p) => p.image),
          marks: { highPercent: pruning.highPercent, lowPercent: pruning.lowPercent },
          pinned: pruning.keepImages,
          intervalMs: pruning.checkSeconds * 1000,
          registry: metrics.registry,
          log,
        })
      : undefined;
  // While the volume refuses records the worker takes no new runs; say so everywhere.
  const volume = new VolumeHealth((fault) => {
    metrics.volume.writable(!fault);
    if (fault) log.error('the volume refuses writes: taking no new runs until it takes them again', { error: fault.error, dataDir: store.layout.root });
    else log.info('the volume takes writes again: taking runs');
    intake.refuse('volume', fault && `the volume refuses writes: ${fault.error}`);
    pending.reportVolumeFault(workerId, fault).catch((err: Error) => log.warn('could not report the volume state to Redis', { error: err.message }));
  });
  // This process in the fleet view, and its host's drain (started once its metrics address is known).
  const pulled = pulls?.pulled;
  const fleet = new FleetPresence({ config, redis, hostId, workerId, intake, engine, volume, lease, gpus, log, ...(pulled && { pruned: () => pulled.prunedTotals() }) });
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
  return {
    registryAuth,
    runner,
    store,
    control,
    cancels,
    hostId,
    ownership,
    metrics,
    intake,
    engine,
    lease,
    quotas,
    fairShare,
    queues,
    gpus,
    webhooks,
    observer: fleet.counting(observer),
    pulls,
    pruner,
    volume,
    recorder,
    fleet,
  };
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
