import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { Queue, type QueueEvents } from 'bullmq';
import type { ApiConfig } from '@modelrun/config';
import { GPU_RUN_QUEUE, RESCORE_QUEUE, type RescoreJobData } from '@modelrun/contracts';
import { Shutdown } from '@modelrun/lifecycle';
import { type Logger, errorFields } from '@modelrun/logger';
import { RunQueues, confirmReplicated, connectCheckedRedis, createRedis, createRunEvents, redactUrl } from '@modelrun/queue';
import { BoardState, FairShare, FleetRegistry, PendingOutcomes, QuotaLedger, RescoreProgressStore, RescoredRuns, RunControl } from '@modelrun/run-control';
import { RunIndex } from '@modelrun/leaderboard';
import { RecordStore, ResultsStore } from '@modelrun/store';
import { createWebhookQueue } from '@modelrun/webhooks';
import { createApp } from './app';
import type { ReadyReport } from './routes/health';
import { IndexFeed } from './services/index-feed';
import { RescoreService, followRescores } from './services/rescores';
import { LogsService } from './services/logs-service';
import { RunsService } from './services/runs-service';
import { RunEnqueuer } from './services/enqueue-run';
import { fleetHosts } from './services/run-requirements';
import { BenchmarksService } from './services/benchmarks-service';
import { createApiMetrics } from './metrics';
import { createAdminRouter } from './admin';
import { followRoutedQueues } from './routed-queues';
import { webRoot } from './routes/web';
import { SessionStore } from './services/sessions';
import { RedisFailureCounter } from './middleware/failure-counter';
import { AuditLog } from './services/audit-log';
import { FleetService } from './services/fleet';
import { IdentityStore } from './services/identities';
import { bootstrapUsers } from './middleware/auth';
import { ssoFromConfig } from './sso/wiring';
import { boardsOf } from './services/run-selection';
import { RetentionPass } from './services/retention';

export interface StartedApi {
  app: Express;
  server: Server;
  /** The address actually bound (PORT=0 picks a free port). */
  url: string;
  index: RunIndex;
  feed: IndexFeed;
  close(reason?: string): Promise<void>;
  /** The retention pass (RETENTION_*); undefined when retention is not configured. */
  retention: RetentionPass | undefined;
}

/** How long a 202 waits for replicas (REDIS_WAIT_REPLICAS): a 503 comes within about a second. */
const REPLICA_WAIT_MS = 1_000;

/** Everything the API process needs, wired by hand in start-up order, then listening. */
export async function startApi(config: ApiConfig, log: Logger): Promise<StartedApi> {
  const onError = (what: string) => (err: Error) => log.warn(`redis ${what} connection error`, { error: err.message });
  const redis = await connectCheckedRedis(config.redis, config.redisRequirePersistence, { role: 'producer', name: 'modelrun-api', onError: onError('producer') });
  const opened: Redis[] = [redis];
  try {
    const eventsConn = createRedis(config.redis, { role: 'consumer', name: 'modelrun-api-events', onError: onError('events') });
    opened.push(eventsConn);

    const store = new RecordStore(config.dataDir);
    // The API only reads the volume; a missing folder just means no runs yet.
    await mkdir(store.layout.root, { recursive: true }).catch(() => undefined);
    const queues = new RunQueues(redis, config.deployment, onError('queue'));
    // Only for the dashboard: the worker queues and delivers webhooks.
    const webhookQueue = createWebhookQueue(redis, config.deployment, onError('webhook queue'));
    // With no error listener BullMQ prints the queue's connection errors to stderr itself.
    const rescoreQueue = new Queue<RescoreJobData>(RESCORE_QUEUE, { connection: redis, prefix: config.deployment });
    rescoreQueue.on('error', onError('rescore queue'));
    const events = [createRunEvents(eventsConn, config.deployment, onError('queue events'))];
    if (config.limits.ceilings.gpus > 0) {
      // GPU runs have a queue of their own, and QueueEvents blocks: a second connection.
      const gpuEventsConn = createRedis(config.redis, { role: 'consumer', name: 'modelrun-api-gpu-events', onError: onError('events') });
      opened.push(gpuEventsConn);
      events.push(createRunEvents(gpuEventsConn, config.deployment, onError('gpu queue events'), GPU_RUN_QUEUE));
    }
    const control = new RunControl(redis, config.deployment);
    const pending = new PendingOutcomes(redis, config.deployment);
    const index = new RunIndex(config.benchmarks.values());
    const feed = new IndexFeed({
      index,
      store,
      queues,
      events,
      pending,
      log,
      snapshot: config.indexSnapshot,
      // Issue 19: records re-scores rewrote are read again on each rescan, should their events be missed.
      ...(config.benchmarks.size > 0 && { rescored: new RescoredRuns(redis, config.deployment) }),
    });
    const loaded = await feed.load();
    log.info('index loaded', { ...loaded, models: index.modelCount });
    // Routed queues made before this start are read first, so their live runs are seeded too.
    await queues.discover().catch((err: unknown) => log.warn('cannot read the routed queues', errorFields(err)));
    await feed.follow(config.indexRescanSeconds);
    const routes = followRoutedQueues(
      queues,
      (q) => {
        // QueueEvents blocks: each routed queue's events take a connection of their own.
        const conn = createRedis(config.redis, { role: 'consumer', name: 'modelrun-api-routed-events', onError: onError('events') });
        opened.push(conn);
        feed.listenTo(createRunEvents(conn, config.deployment, onError('routed queue events'), q.name));
      },
      log,
    );

    // Issue 19: a re-scored record is read again when its job completes (QueueEvents blocks: a connection of its own).
    let rescoreEvents: QueueEvents | undefined;
    if (config.benchmarks.size > 0) {
      const conn = createRedis(config.redis, { role: 'consumer', name: 'modelrun-api-rescore-events', onError: onError('events') });
      opened.push(conn);
      rescoreEvents = followRescores(conn, config.deployment, (id) => void feed.reloadRun(id), onError('re-score events'));
    }
    const runs = new RunsService({
      queues,
      control,
      pending,
      store,
      index,
      limits: config.limits,
      retry: config,
      allowedImages: config.allowedImages,
      benchmarks: config.benchmarks,
      quotas: new QuotaLedger(redis, config.deployment),
      // One per process: concurrent submissions share its fair-share round trips.
      enqueuer: new RunEnqueuer({ retry: config, fairShare: new FairShare(redis, config.deployment) }),
      ...(config.redisWaitReplicas > 0 && { confirmWrites: () => confirmReplicated(redis, config.redisWaitReplicas, REPLICA_WAIT_MS) }),
      onSettled: (id, listener) => feed.onSettled(id, listener),
      submitting: (id) => feed.submitting(id),
      allowedLabels: config.allowedLabels,
      hosts: fleetHosts(new FleetRegistry(redis, config.deployment)),
      applyEnd: (id) => feed.applyEnd(id),
    });
    const logs = new LogsService({
      store,
      control,
      runs,
      blockingConnection: () => createRedis(config.redis, { role: 'consumer', name: 'modelrun-api-logs', onError: onError('logs') }),
    });
    const readiness = async (): Promise<ReadyReport> => {
      const [redisCheck, volumeCheck, recordingCheck] = await Promise.all([
        check(() => withTimeout(redis.ping(), 1_000, 'no answer within 1 s'), 'unreachable'),
        check(() => access(store.layout.root, constants.R_OK), 'unreadable'),
        check(() => withTimeout(recordingHealth(pending), 1_000, 'no answer within 1 s'), 'volume_refuses_records'),
      ]);
      return {
        ready: redisCheck.ok && volumeCheck.ok && recordingCheck.ok,
        // Serving from an index snapshot not yet checked against the volume is ready, but says so.
        checks: { redis: redisCheck, volume: volumeCheck, recording: recordingCheck, index: { ok: true, state: feed.sync.state } },
      };
    };
    const metrics = createApiMetrics(queues, index, () => withTimeout(redis.ping(), 1_000, 'no answer within 1 s'));
    const app = createApp({
      log,
      runs,
      benchmarks: new BenchmarksService(config.benchmarks, index, config.limits, config.allowedLabels),
      logs,
      index,
      apiTokens: config.apiTokens,
      bodyLimitBytes: config.bodyLimitBytes,
      rateLimitPerMinute: config.rateLimitPerMinute,
      authFailures: { ...config.authFailures, counter: new RedisFailureCounter(redis, config.deployment, config.authFailures.windowMs, log) },
      rateLimitPrivilegedPerMinute: config.rateLimitPrivilegedPerMinute,
      rateLimitRedis: { redis, prefix: config.deployment },
      identities: new IdentityStore(redis, config.deployment, bootstrapUsers(config.apiTokens)),
      audit: new AuditLog(redis, config.deployment, config.auditRetentionSeconds * 1000),
      readiness,
      metrics,
      adminRouter: createAdminRouter(queues, webhookQueue, { gpus: config.limits.ceilings.gpus > 0 }),
      sessions: new SessionStore(redis, config.deployment, config.sessionTtlSeconds),
      webRoot: webRoot(),
      trustProxy: config.trustProxy,
      fleet: new FleetService(redis, config.deployment, queues),
      sso: ssoFromConfig(config, redis),
      boards: boardsOf(config.benchmarks, index, new BoardState(redis, config.deployment), async (model, id) => (await store.readRecord(model, id).catch(() => 'unreadable')) !== undefined),
      results: new ResultsStore(store.layout.root),
      // Without benchmarks its routes answer 404 (no such benchmark or re-score) or 409 (not a benchmark run).
      rescores: new RescoreService({
        queue: rescoreQueue,
        progress: new RescoreProgressStore(redis, config.deployment),
        results: new ResultsStore(store.layout.root),
        index,
        benchmarks: config.benchmarks,
      }),
    });
    const retention =
      config.retention &&
      new RetentionPass({
        redis,
        deployment: config.deployment,
        layout: store.layout,
        index,
        benchmarks: config.benchmarks,
        boardState: new BoardState(redis, config.deployment),
        settings: { days: config.retention.days, ...(config.retention.maxBytes !== undefined && { maxBytes: config.retention.maxBytes }) },
        everyMs: config.retention.everyMs,
        registry: metrics.registry,
        log,
        jobState: (id) => queues.getJobState(id),
      });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const url = `http://${host}:${addr.port}`;
    log.info('api listening', { url, auth: config.apiTokens.length > 0 ? 'bearer' : 'none (loopback only)', redis: redactUrl(config.redis), dataDir: store.layout.root });

    retention?.start();
    const shutdown = new Shutdown(log);
    return {
      app,
      server,
      url,
      index,
      feed,
      retention,
      close: (reason = 'close') =>
        shutdown.run(
          [
            {
              name: 'http',
              run: () =>
                new Promise<void>((resolve) => {
                  server.close(() => resolve());
                  server.closeIdleConnections();
                  setTimeout(() => server.closeAllConnections(), 5_000).unref();
                }),
            },
            {
              name: 'feed',
              run: () => {
                routes.stop();
                return feed.stop();
              },
            },
            { name: 'retention', run: async () => retention?.stop() },
            { name: 'events', run: async () => Promise.all([...events, ...(rescoreEvents ? [rescoreEvents] : [])].map((e) => e.close())) },
            { name: 'queue', run: () => queues.close() },
            { name: 'webhook queue', run: () => webhookQueue.close() },
            { name: 'rescore queue', run: () => rescoreQueue.close() },
            { name: 'redis', run: async () => Promise.all(opened.map((r) => r.quit().catch(() => r.disconnect()))) },
          ],
          10_000,
          reason,
        ),
    };
  } catch (err) {
    opened.forEach((r) => r.disconnect());
    throw err;
  }
}

/** Throws, saying why, while a worker reports that the volume refuses its records. */
async function recordingHealth(pending: PendingOutcomes): Promise<void> {
  const faults = await pending.volumeFaults();
  if (!faults.length) return;
  const waiting = (await pending.ids()).length;
  const first = faults[0]!;
  throw new Error(
    `the volume refuses workers' records (${faults.length} worker${faults.length > 1 ? 's' : ''}, e.g. ${first.worker} since ${first.since}: ${first.error}); ${waiting} finished run${waiting === 1 ? '' : 's'} wait in Redis to be recorded`,
  );
}

/** A check's outcome: the error's text is for the logs; its errno (EROFS, ...) or `otherwise` is public. */
async function check(fn: () => Promise<unknown>, otherwise: string): Promise<{ ok: boolean; code?: string; error?: string }> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    return { ok: false, code: typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : otherwise, error: message };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}
