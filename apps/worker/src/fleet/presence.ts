import type { Redis } from 'ioredis';
import type { WorkerConfig } from '@modelrun/config';
import type { EngineFacts } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import { FleetRegistry } from '@modelrun/run-control';
import type { RunObserver } from '../run/processor';
import type { RunIntake } from '../run-intake';
import type { EngineHealth } from '../engine-health';
import type { VolumeHealth } from '../recording/volume-health';
import type { GpuDevices } from '../gpu/devices';
import type { HostLease } from './lease';
import { engineFactsReader } from './engine-facts';
import { type Heartbeat, startHeartbeat } from './heartbeat';

export interface PresenceParts {
  config: WorkerConfig;
  redis: Redis;
  hostId: string;
  workerId: string;
  intake: RunIntake;
  engine: EngineHealth;
  volume: VolumeHealth;
  lease: HostLease;
  gpus: GpuDevices | undefined;
  log: Logger;
  /** What the image pruner removed from this host (docs/operations/disk.md), added to the engine's figures. */
  pruned?: () => Promise<Pick<EngineFacts, 'imagesPruned' | 'prunedBytes' | 'lastPrunedAt'> | undefined>;
}

/**
 * This worker process in the fleet view: it counts its busy slots (through the run observer),
 * publishes its heartbeat once its metrics address is known, and stops taking runs while an
 * operator drains its host (finishing what runs), taking them again on resume.
 */
export class FleetPresence {
  readonly registry: FleetRegistry;
  private busy = 0;
  private heartbeat: Heartbeat | undefined;

  constructor(private readonly p: PresenceParts) {
    this.registry = new FleetRegistry(p.redis, p.config.deployment);
  }

  /** The observer, also counting the runs this process runs now. */
  counting(observer: RunObserver): RunObserver {
    return {
      ...observer,
      activeChanged: (delta) => {
        this.busy += delta;
        observer.activeChanged?.(delta);
      },
    };
  }

  /** Starts publishing (the first heartbeat before it returns, so the process shows at once and a drain holds from the start). */
  async start(metricsUrl: string, queues: () => string[]): Promise<void> {
    const { config, hostId, intake, engine, volume, lease, gpus, log } = this.p;
    const concurrency = config.concurrency + (gpus?.ids.length ?? 0);
    const beat = startHeartbeat({
      registry: this.registry,
      host: hostId,
      instanceId: this.p.workerId,
      labels: config.labels,
      leaseSeconds: config.leaseSeconds,
      concurrency,
      queues,
      metricsUrl,
      state: {
        slotsBusy: () => this.busy,
        refusing: () => intake.refusing(),
        engineUp: () => engine.fault === undefined,
        volumeWritable: () => volume.fault === undefined,
        leaseRenewedAt: () => lease.lastRenewedAt(),
        ...(gpus && { gpus: async () => ({ total: gpus.ids.length, ...(await gpus.counts().then((c) => ({ free: c.free, inUse: c.held }))) }) }),
      },
      engineFacts: withPruned(engineFactsReader(config.dockerHost), this.p.pruned),
      onDrain: (drained) => {
        if (drained) log.warn('this host is drained: taking no new runs, finishing those running', { host: hostId });
        else log.info('this host is resumed: taking runs', { host: hostId });
        intake.refuse('drain', drained ? `host ${hostId} is drained by an operator` : undefined);
      },
      log,
    });
    this.heartbeat = beat;
    await beat.beatNow();
  }

  /** Stops publishing and leaves the view (the last step of shutdown, once runs have ended). */
  async stop(): Promise<void> {
    await this.heartbeat?.stop();
  }
}

/** The engine's figures with what was pruned from the host, when anything was. */
function withPruned(read: () => Promise<EngineFacts>, pruned: PresenceParts['pruned']): () => Promise<EngineFacts> {
  if (!pruned) return read;
  return async () => {
    const [facts, totals] = await Promise.all([read(), pruned().catch(() => undefined)]);
    return { ...facts, ...totals };
  };
}
