import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import supertest from 'supertest';
import { type StartedApi, startApi } from '@modelrun/api';
import { loadApiConfig, loadWorkerConfig } from '@modelrun/config';
import type { Logger } from '@modelrun/logger';
import { FINAL_STATUSES, RUN_QUEUE, type RunStatus, type RunView } from '@modelrun/contracts';
import { type StartedWorker, startWorker } from '@modelrun/worker';
import { removeContainersOf } from './docker';
import { infra } from './infra';
import { testRedis } from './redis-server';
import { testLogger } from './logger';
import { waitFor } from './wait';

export interface StackOptions {
  /** Extra environment for both processes (RUN_TIMEOUT_SECONDS, API_TOKENS, ...). */
  env?: Record<string, string>;
  /** Worker processes in this test process (default 1; 0 for API-only tests). */
  workers?: number;
  /** Start the API (default true). */
  api?: boolean;
  redisUrl?: string;
  /** Loggers to use instead of the silent test ones (to read what was logged). */
  apiLog?: Logger;
  workerLog?: Logger;
}

export interface Stack {
  prefix: string;
  dataDir: string;
  redisUrl: string;
  env: Record<string, string>;
  api: StartedApi;
  workers: StartedWorker[];
  http: ReturnType<typeof supertest>;
  /** Authorization header for the stack's first token (empty without tokens). */
  auth: Record<string, string>;
  /** POSTs a run; asserts the 202 and returns the run. */
  submit(image: string, name: string, limits?: Record<string, number>): Promise<RunView>;
  /** Polls GET /v1/runs/{id} until its status is one of `until`. */
  waitForRun(id: string, until?: RunStatus[], timeoutMs?: number): Promise<RunView>;
  /** Polls GET /v1/runs/{id} until the run is in `phase` (e.g. its container is running). */
  waitForPhase(id: string, phase: string, timeoutMs?: number): Promise<RunView>;
  startWorker(env?: Record<string, string>): Promise<StartedWorker>;
  stop(): Promise<void>;
}

const FINAL: RunStatus[] = [...FINAL_STATUSES];

/** The real API and worker(s), in this process, on their own queue prefix and data folder. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const { redisUrl } = await infra(opts.redisUrl ? { redisUrl: opts.redisUrl } : {});
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'modelrun-data-'));
  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    RUN_BACKOFF_MS: '100',
    RUN_ATTEMPTS: '3',
    WORKER_RECONCILE_SECONDS: '0',
    WORKER_METRICS_PORT: '0',
    INDEX_RESCAN_SECONDS: '0',
    RATE_LIMIT_PER_MINUTE: '0',
    RUN_STOP_GRACE_SECONDS: '1',
    ...opts.env,
  };
  const workers: StartedWorker[] = [];
  const startOneWorker = async (extra: Record<string, string> = {}): Promise<StartedWorker> => {
    const w = await startWorker(loadWorkerConfig({ ...env, ...extra }), opts.workerLog ?? testLogger('worker'));
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await startOneWorker();
  const api = opts.api === false ? (undefined as unknown as StartedApi) : await startApi(loadApiConfig(env), opts.apiLog ?? testLogger('api'));
  const http = supertest(api?.url ?? 'http://127.0.0.1:1');
  const auth: Record<string, string> = env.API_TOKENS ? { Authorization: `Bearer ${env.API_TOKENS.split(',')[0]}` } : {};

  const stack: Stack = {
    prefix,
    dataDir,
    redisUrl,
    env,
    api,
    workers,
    http,
    auth,
    async submit(image, name, limits) {
      const res = await http
        .post('/v1/models')
        .set(auth)
        .send({ image, name, ...(limits && { limits }) });
      if (res.status !== 202) throw new Error(`POST /v1/models answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as RunView;
    },
    async waitForRun(id, until = FINAL, timeoutMs = 20_000) {
      let last: RunView | undefined;
      try {
        return await waitFor(
          `run ${id} to reach ${until.join('|')}`,
          async () => {
            const res = await http.get(`/v1/runs/${id}`).set(auth);
            last = res.body as RunView;
            return res.status === 200 && until.includes(last.status) ? last : undefined;
          },
          timeoutMs,
          100,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`, { cause: err });
      }
    },
    // 30 s: reaching a phase takes the queue, an image check and a container create and start,
    // each of which can take seconds on a loaded shared engine.
    waitForPhase(id, phase, timeoutMs = 30_000) {
      return waitFor(
        `the run to be ${phase}`,
        async () => {
          const res = await http.get(`/v1/runs/${id}`).set(auth);
          return res.status === 200 && (res.body as RunView).phase === phase ? (res.body as RunView) : undefined;
        },
        timeoutMs,
      );
    },
    startWorker: startOneWorker,
    async stop() {
      await Promise.all(workers.map((w) => w.close('test done')));
      await api?.close('test done');
      await removeContainersOf(prefix);
      const conn = testRedis(redisUrl);
      try {
        const queue = new Queue(RUN_QUEUE, { connection: conn, prefix });
        queue.on('error', () => undefined);
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
        const keys = await conn.keys(`${prefix}:*`);
        if (keys.length) await conn.del(...keys);
      } finally {
        conn.disconnect();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}
