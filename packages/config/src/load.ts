import { z } from 'zod';
import { DEFAULT_QUEUE_PREFIX, type HostLabels, ImageAllowList, LABEL_KEY, LABEL_VALUE, type LimitPolicy, RUNTIME_LABEL, resolveLimits } from '@modelrun/contracts';
import { type Benchmarks, readBenchmarksFile } from './benchmarks';
import { bool, deviceIds, dockerHost, integer, list, logFormat, logLevel, nonNegativeInt, port, positiveInt, positiveNumber, redisTarget, trustProxy, webhookSecret, webhookUrls } from './env';
import { type RedisTarget, redactRedisUrl } from './redis-target';
import { tokenStrengthProblem } from './token-strength';
import { OIDC_ENV, type OidcConfig, oidcConfig } from './oidc';

/** WORKER_LABELS: `key=value` pairs, comma-separated, each key once (e.g. `reference=digits,zone=a`). */
const workerLabels = list.transform((pairs, ctx): HostLabels => {
  const labels: HostLabels = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at < 0 ? pair : pair.slice(0, at).trim();
    const value = at < 0 ? '' : pair.slice(at + 1).trim();
    if (at < 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(pair)} must be key=value: the key a letter then letters, digits . _ - / (up to 63), the value 1-63 of letters, digits . _ -` });
    } else if (key in labels) {
      ctx.addIssue({ code: 'custom', message: `names the label ${key} twice` });
    } else labels[key] = value;
  }
  return labels;
});

/** RUN_ALLOWED_LABELS: label keys a submission may require of its host (`gpu,zone`); `runtime` is a benchmark's to require. */
const allowedLabels = list.refine(
  (keys) => keys.every((k) => LABEL_KEY.test(k) && k !== RUNTIME_LABEL),
  'must be label keys (a letter, then letters, digits . _ - /), comma-separated; runtime is not one a submission may require',
);

/** A share of a disk, in percent: more than 0, at most 100 (fractions allowed). */
const percent = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?$/, 'must be a number')
  .transform(Number)
  .pipe(z.number().gt(0, 'must be over 0').max(100, 'must be at most 100'));

/** Every variable modelrun reads, with its default. `.env.example` lists the same set. */
const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: port.default(8081),
  HOST: z.string().min(1).default('127.0.0.1'),
  REDIS_URL: redisTarget.default({ kind: 'standalone', url: 'redis://127.0.0.1:6379' }),
  REDIS_REQUIRE_PERSISTENCE: bool.default(true),
  REDIS_WAIT_REPLICAS: integer({ min: 0, max: 16 }).default(0),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -')
    .default(DEFAULT_QUEUE_PREFIX),
  DATA_DIR: z.string().min(1).default('./data'),
  API_TOKENS: list.default([]),
  ALLOWED_IMAGES: list.default([]),
  RUN_ALLOWED_LABELS: allowedLabels.default([]),
  BENCHMARKS_FILE: z.string().optional(),
  BODY_LIMIT_BYTES: positiveInt.default(16 * 1024),
  RATE_LIMIT_PER_MINUTE: nonNegativeInt.default(600),
  RATE_LIMIT_PRIVILEGED_PER_MINUTE: nonNegativeInt.default(3_000),
  AUDIT_RETENTION_DAYS: integer({ min: 1, max: 3650 }).default(365),
  AUTH_FAILURE_LIMIT: nonNegativeInt.default(20),
  AUTH_FAILURE_WINDOW_MINUTES: integer({ min: 1, max: 1440 }).default(15),
  INDEX_RESCAN_SECONDS: nonNegativeInt.default(60),
  INDEX_SNAPSHOT: z.enum(['on', 'off'], { message: 'must be on or off' }).default('on'),
  SESSION_TTL_HOURS: integer({ min: 1, max: 720 }).default(12),
  TRUST_PROXY: trustProxy.default(false),
  WORKER_CONCURRENCY: integer({ min: 1, max: 64 }).default(2),
  WORKER_GPUS: deviceIds.default([]),
  // Unset: 9464, or the next free port when another worker process of the host has it (scaling.md).
  WORKER_METRICS_PORT: port.optional(),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_SHUTDOWN_GRACE_SECONDS: nonNegativeInt.default(30),
  WORKER_LOCK_MS: positiveInt.default(30_000),
  WORKER_STALLED_INTERVAL_MS: positiveInt.default(30_000),
  WORKER_MAX_STALLED: nonNegativeInt.default(3),
  WORKER_RECONCILE_SECONDS: nonNegativeInt.default(60),
  // At least 2: an adopting worker calls a container stopped over 1 s past its deadline a timeout.
  WORKER_RECONCILE_GRACE_SECONDS: integer({ min: 2 }).default(60),
  WORKER_HOST_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : -')
    .optional(),
  WORKER_LABELS: workerLabels.default({}),
  WORKER_LEASE_SECONDS: integer({ min: 3, max: 3600 }).default(30),
  WORKER_RECORD_RETRY_MAX_MS: integer({ min: 100, max: 50_000 }).default(15_000),
  // Image pruning (docs/operations/disk.md): off until WORKER_DISK_HIGH_PERCENT is set.
  WORKER_DISK_HIGH_PERCENT: percent.optional(),
  WORKER_DISK_LOW_PERCENT: percent.optional(),
  WORKER_DISK_CHECK_SECONDS: integer({ min: 1, max: 3600 }).default(60),
  WORKER_KEEP_IMAGES: list.default([]),
  RUN_ATTEMPTS: integer({ min: 1, max: 50 }).default(5),
  RUN_BACKOFF_MS: positiveInt.default(2_000),
  RUN_TIMEOUT_SECONDS: positiveInt.default(600),
  RUN_TIMEOUT_SECONDS_MAX: positiveInt.default(3_600),
  RUN_MEMORY_MB: integer({ min: 16 }).default(1_024),
  RUN_MEMORY_MB_MAX: integer({ min: 16 }).default(8_192),
  RUN_CPUS: positiveNumber.default(1),
  RUN_CPUS_MAX: positiveNumber.default(4),
  RUN_GPUS_MAX: nonNegativeInt.default(0),
  RUN_PIDS_LIMIT: positiveInt.default(256),
  RUN_TMP_MB: positiveInt.default(256),
  RUN_OUTPUT_MAX_MB: positiveInt.default(16),
  RUN_LOG_MAX_KB: positiveInt.default(1_024),
  RUN_STOP_GRACE_SECONDS: nonNegativeInt.default(5),
  // Empty: the engine's default runtime. A name as the engine registers it (runsc for gVisor).
  RUN_RUNTIME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a runtime name as the engine registers it, e.g. runsc')
    .optional(),
  WEBHOOK_URLS: webhookUrls.default([]),
  WEBHOOK_SECRET: webhookSecret.optional(),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  WEBHOOK_CONCURRENCY: integer({ min: 1, max: 64 }).default(4),
  WEBHOOK_ATTEMPTS: integer({ min: 1, max: 50 }).default(14),
  WEBHOOK_BACKOFF_MS: positiveInt.default(10_000),
  DOCKER_HOST: dockerHost.optional(),
  REGISTRY_AUTH_FILE: z.string().min(1).optional(),
  PULL_AHEAD: bool.default(true),
  PULL_AHEAD_IMAGES: integer({ min: 1, max: 50 }).default(3),
  PULL_AHEAD_MB: positiveInt.default(8_192),
  LOG_LEVEL: logLevel.default('info'),
  LOG_FORMAT: logFormat.optional(),
  ...OIDC_ENV,
  KEEP_PREDICTIONS: bool.default(true),
  // Retention (docs/operations/retention.md): unset keeps everything for ever, as before.
  RETENTION_RECORDS_DAYS: positiveNumber.optional(),
  RETENTION_LOGS_DAYS: positiveNumber.optional(),
  RETENTION_PREDICTIONS_DAYS: positiveNumber.optional(),
  RETENTION_DETAILS_DAYS: positiveNumber.optional(),
  RETENTION_MAX_MB: positiveInt.optional(),
  RETENTION_CHECK_MINUTES: positiveNumber.default(60),
});

type Env = z.infer<typeof EnvSchema>;

/** The port a worker's metrics take when WORKER_METRICS_PORT is not set. */
export const DEFAULT_WORKER_METRICS_PORT = 9464;

/** Names of every variable modelrun reads. */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface CommonConfig {
  env: string;
  /** The queue's Redis: one server or a Sentinel group (REDIS_URL). */
  redis: RedisTarget;
  /** Refuse to start on a Redis without AOF and `noeviction` (default true). */
  redisRequirePersistence: boolean;
  /**
   * The deployment's name (QUEUE_PREFIX, default `modelrun`): the prefix of all its Redis keys and
   * Docker object names, and its containers' `io.modelrun.deployment` label.
   */
  deployment: string;
  dataDir: string;
  limits: LimitPolicy;
  /** Tries per run for infrastructure faults (default 5); model faults are never retried. */
  attempts: number;
  /** First retry delay; doubles each attempt, with jitter (default 2000 ms). */
  backoffMs: number;
  allowedImages: ImageAllowList;
  /** The operator's benchmarks (BENCHMARKS_FILE), by name; empty without the file. */
  benchmarks: Benchmarks;
  log: { level: Env['LOG_LEVEL']; format: 'json' | 'pretty' };
}

export interface ApiConfig extends CommonConfig {
  port: number;
  host: string;
  apiTokens: string[];
  bodyLimitBytes: number;
  /** Requests per minute per token or address; 0 turns rate limiting off. */
  rateLimitPerMinute: number;
  /** Requests per minute per operator or admin (default 3000); counted with the rest in Redis. */
  rateLimitPrivilegedPerMinute: number;
  /** How long audit log entries are kept (default 365 days). */
  auditRetentionSeconds: number;
  /** Refused credentials an address may present per window before all its requests get 429 (AUTH_FAILURE_*; limit 0: off). */
  authFailures: { limit: number; windowMs: number };
  /** A full rescan of the volume every so often, as a safety net behind queue events (0: off). */
  indexRescanSeconds: number;
  /** Start from the index snapshot on the volume (then verify it), and keep it current (INDEX_SNAPSHOT). */
  indexSnapshot: boolean;
  /** How long a browser session lasts after sign-in (default 12 h). */
  sessionTtlSeconds: number;
  /** Express's `trust proxy`: which proxies' X-Forwarded-* to believe (default none). */
  trustProxy: boolean | number | string[];
  /** Replicas that must confirm a submission or cancel before its 202 (Redis WAIT; 0: off). */
  redisWaitReplicas: number;
  /** Label keys a submission may require of its host (RUN_ALLOWED_LABELS); empty: none. */
  allowedLabels: string[];
  /** Browser sign-in through an OpenID Connect provider (OIDC_*); undefined: token sign-in only. */
  oidc: OidcConfig | undefined;
  /** What the volume keeps and for how long (RETENTION_*); undefined when nothing is set: kept for ever. */
  retention: RetentionConfig | undefined;
}

/** Retention of finished runs' files (docs/operations/retention.md). */
export interface RetentionConfig {
  /** Days after a run finished that each kind is kept; a kind left out is kept for ever. */
  days: { records?: number; logs?: number; predictions?: number; details?: number };
  /** The most records, logs, predictions and details may hold together, in bytes (RETENTION_MAX_MB). */
  maxBytes?: number;
  /** How often a pass runs (RETENTION_CHECK_MINUTES, default 60), in ms. */
  everyMs: number;
}

/** Where `run.finished` events go, and how they are delivered (from the worker). */
export interface WebhookConfig {
  /** Endpoints (WEBHOOK_URLS); none turns webhooks off. */
  urls: string[];
  /** Signing secret (WEBHOOK_SECRET), `whsec_` and base64; required with urls. Never logged. */
  secret: string | undefined;
  /** Deliver to loopback, link-local and private addresses too (default false). */
  allowPrivate: boolean;
  /** Deliveries at once per worker process (default 4). */
  concurrency: number;
  /** Tries per delivery (default 14) and the first delay, doubling (default 10 s): about 23 hours in all. */
  retry: { attempts: number; backoffMs: number };
}

export interface WorkerConfig extends CommonConfig {
  concurrency: number;
  metricsPort: number;
  /** True when WORKER_METRICS_PORT was set: a taken port then stops the worker instead of moving it to a free one. */
  metricsPortFixed: boolean;
  metricsHost: string;
  /** What this host offers runs (WORKER_LABELS): runs that require labels go only to hosts that have them. */
  labels: HostLabels;
  shutdownGraceSeconds: number;
  lockMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  reconcileSeconds: number;
  /** How long past its time limit a container no worker watches may run before the reconciler stops it. */
  reconcileGraceSeconds: number;
  /** Which engine (host) this worker runs on; default: named from `docker info` (see engineIdOf). */
  hostId: string | undefined;
  /** How long a host keeps its runs after its last worker stopped renewing its lease. */
  leaseSeconds: number;
  /** Longest wait between tries to write records the volume refused (default 15 s; under a minute, so Redis always has a fresh fault report). */
  recordRetryMaxMs: number;
  /** Image pruning (WORKER_DISK_*, WORKER_KEEP_IMAGES); absent when off. */
  imagePruning?: ImagePruningConfig;
  sandbox: {
    pidsLimit: number;
    tmpMb: number;
    outputMaxBytes: number;
    logMaxBytes: number;
    stopGraceSeconds: number;
  };
  dockerHost: string | undefined;
  webhooks: WebhookConfig;
  /** A Docker config.json with registry credentials for pulls (re-read when it changes). */
  registryAuthFile: string | undefined;
  /** GPU device ids this worker hands out, one run's at a time (WORKER_GPUS); empty: a CPU-only worker. */
  gpus: string[];
  /** Pulling the images of waiting runs before a slot takes them (PULL_AHEAD*); undefined when off. */
  pullAhead: { images: number; bytes: number } | undefined;
  /** Keep each benchmark run's predictions on the volume (KEEP_PREDICTIONS, default true). */
  keepPredictions: boolean;
}

function parseEnv(env: NodeJS.ProcessEnv): Env {
  // An empty (or blank) variable means "not set", as in shells and compose files.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${show(String(i.path[0]), env[String(i.path[0])])})`));
  }
  return parsed.data;
}

/** Variables whose values are never echoed back, not even in an error. */
const SECRET_VARIABLES = new Set(['API_TOKENS', 'WEBHOOK_SECRET', 'OIDC_CLIENT_SECRET']);

function show(name: string, raw: string | undefined): string {
  if (raw !== undefined && SECRET_VARIABLES.has(name)) return `a value of ${raw.length} characters, not shown`;
  // A Redis URL may carry passwords: they are never echoed.
  const v = name === 'REDIS_URL' && raw !== undefined ? redactRedisUrl(raw) : raw;
  return v === undefined ? 'nothing' : JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
}

function common(e: Env): CommonConfig {
  const problems: string[] = [];
  const pairs: [string, number, string, number][] = [
    ['RUN_TIMEOUT_SECONDS', e.RUN_TIMEOUT_SECONDS, 'RUN_TIMEOUT_SECONDS_MAX', e.RUN_TIMEOUT_SECONDS_MAX],
    ['RUN_MEMORY_MB', e.RUN_MEMORY_MB, 'RUN_MEMORY_MB_MAX', e.RUN_MEMORY_MB_MAX],
    ['RUN_CPUS', e.RUN_CPUS, 'RUN_CPUS_MAX', e.RUN_CPUS_MAX],
  ];
  for (const [dName, d, cName, c] of pairs) {
    if (d > c) problems.push(`${dName}: the default ${d} is over the ceiling ${cName}=${c}`);
  }
  const limits: LimitPolicy = {
    defaults: { timeoutSeconds: e.RUN_TIMEOUT_SECONDS, memoryMb: e.RUN_MEMORY_MB, cpus: e.RUN_CPUS, gpus: 0 },
    ceilings: { timeoutSeconds: e.RUN_TIMEOUT_SECONDS_MAX, memoryMb: e.RUN_MEMORY_MB_MAX, cpus: e.RUN_CPUS_MAX, gpus: e.RUN_GPUS_MAX },
  };
  let benchmarks: Benchmarks = new Map();
  if (e.BENCHMARKS_FILE !== undefined) {
    const read = readBenchmarksFile(e.BENCHMARKS_FILE);
    if ('problems' in read) problems.push(...read.problems);
    else {
      benchmarks = read.benchmarks;
      problems.push(...benchmarkLimitProblems(e.BENCHMARKS_FILE, benchmarks, limits));
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    env: e.NODE_ENV,
    redis: e.REDIS_URL,
    redisRequirePersistence: e.REDIS_REQUIRE_PERSISTENCE,
    deployment: e.QUEUE_PREFIX,
    dataDir: e.DATA_DIR,
    limits,
    attempts: e.RUN_ATTEMPTS,
    backoffMs: e.RUN_BACKOFF_MS,
    allowedImages: new ImageAllowList(e.ALLOWED_IMAGES),
    benchmarks,
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'pretty') },
  };
}

/** A benchmark's limits for either step must fit under this deployment's ceilings. */
function benchmarkLimitProblems(file: string, benchmarks: Benchmarks, policy: LimitPolicy): string[] {
  const problems: string[] = [];
  [...benchmarks.values()].forEach((b, i) => {
    for (const [step, requested] of [
      ['model', b.model?.limits],
      ['evaluator', b.evaluator.limits],
    ] as const) {
      const r = resolveLimits(requested, policy);
      if (!r.ok) problems.push(`BENCHMARKS_FILE (${file}): benchmarks[${i}] (${b.name}).${step}.${r.message}`);
    }
  });
  return problems;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Parses and checks the API's configuration; throws a ConfigError naming every bad variable. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = parseEnv(env);
  const problems: string[] = [];
  if (e.API_TOKENS.length === 0 && !isLoopback(e.HOST)) {
    problems.push(
      `API_TOKENS: no tokens are set, so the API serves only on a loopback HOST; HOST=${e.HOST} would expose it to anyone who can reach it. Set API_TOKENS (comma-separated, each 128 random bits, e.g. openssl rand -hex 24) or bind HOST=127.0.0.1`,
    );
  }
  e.API_TOKENS.forEach((t, i) => {
    // The index, never the token: tokens are not logged or echoed anywhere.
    const weak = tokenStrengthProblem(t);
    if (weak) problems.push(`API_TOKENS: token #${i + 1} ${weak}`);
  });
  const oidc = oidcConfig(e, problems);
  if (problems.length) throw new ConfigError(problems);
  return {
    ...common(e),
    port: e.PORT,
    host: e.HOST,
    apiTokens: e.API_TOKENS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    rateLimitPrivilegedPerMinute: e.RATE_LIMIT_PRIVILEGED_PER_MINUTE,
    auditRetentionSeconds: e.AUDIT_RETENTION_DAYS * 86_400,
    authFailures: { limit: e.AUTH_FAILURE_LIMIT, windowMs: e.AUTH_FAILURE_WINDOW_MINUTES * 60_000 },
    indexRescanSeconds: e.INDEX_RESCAN_SECONDS,
    indexSnapshot: e.INDEX_SNAPSHOT === 'on',
    sessionTtlSeconds: e.SESSION_TTL_HOURS * 3600,
    trustProxy: e.TRUST_PROXY,
    redisWaitReplicas: e.REDIS_WAIT_REPLICAS,
    allowedLabels: e.RUN_ALLOWED_LABELS,
    oidc,
    retention: retention(e),
  };
}

function retention(e: Env): RetentionConfig | undefined {
  const days = {
    ...(e.RETENTION_RECORDS_DAYS !== undefined && { records: e.RETENTION_RECORDS_DAYS }),
    ...(e.RETENTION_LOGS_DAYS !== undefined && { logs: e.RETENTION_LOGS_DAYS }),
    ...(e.RETENTION_PREDICTIONS_DAYS !== undefined && { predictions: e.RETENTION_PREDICTIONS_DAYS }),
    ...(e.RETENTION_DETAILS_DAYS !== undefined && { details: e.RETENTION_DETAILS_DAYS }),
  };
  if (Object.keys(days).length === 0 && e.RETENTION_MAX_MB === undefined) return undefined;
  return { days, ...(e.RETENTION_MAX_MB !== undefined && { maxBytes: e.RETENTION_MAX_MB * 1024 * 1024 }), everyMs: e.RETENTION_CHECK_MINUTES * 60_000 };
}

/** Parses and checks the worker's configuration; throws a ConfigError naming every bad variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = parseEnv(env);
  if (e.WEBHOOK_URLS.length > 0 && !e.WEBHOOK_SECRET) {
    throw new ConfigError(['WEBHOOK_SECRET: required when WEBHOOK_URLS is set (events are always signed); e.g. whsec_$(openssl rand -base64 32)']);
  }
  const shared = common(e);
  return {
    ...shared,
    // A worker's GPU ceiling is its devices: RUN_GPUS_MAX is the API's (the largest any worker has).
    limits: { ...shared.limits, ceilings: { ...shared.limits.ceilings, gpus: e.WORKER_GPUS.length } },
    concurrency: e.WORKER_CONCURRENCY,
    gpus: e.WORKER_GPUS,
    metricsPort: e.WORKER_METRICS_PORT ?? DEFAULT_WORKER_METRICS_PORT,
    metricsPortFixed: e.WORKER_METRICS_PORT !== undefined,
    labels: e.WORKER_LABELS,
    metricsHost: e.WORKER_METRICS_HOST,
    shutdownGraceSeconds: e.WORKER_SHUTDOWN_GRACE_SECONDS,
    lockMs: e.WORKER_LOCK_MS,
    stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: e.WORKER_MAX_STALLED,
    reconcileSeconds: e.WORKER_RECONCILE_SECONDS,
    reconcileGraceSeconds: e.WORKER_RECONCILE_GRACE_SECONDS,
    hostId: e.WORKER_HOST_ID,
    leaseSeconds: e.WORKER_LEASE_SECONDS,
    recordRetryMaxMs: e.WORKER_RECORD_RETRY_MAX_MS,
    ...imagePruning(e),
    sandbox: {
      pidsLimit: e.RUN_PIDS_LIMIT,
      tmpMb: e.RUN_TMP_MB,
      outputMaxBytes: e.RUN_OUTPUT_MAX_MB * 1024 * 1024,
      logMaxBytes: e.RUN_LOG_MAX_KB * 1024,
      stopGraceSeconds: e.RUN_STOP_GRACE_SECONDS,
      ...(e.RUN_RUNTIME && { runtime: e.RUN_RUNTIME }),
    },
    dockerHost: e.DOCKER_HOST,
    webhooks: {
      urls: e.WEBHOOK_URLS,
      secret: e.WEBHOOK_SECRET,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      concurrency: e.WEBHOOK_CONCURRENCY,
      retry: { attempts: e.WEBHOOK_ATTEMPTS, backoffMs: e.WEBHOOK_BACKOFF_MS },
    },
    registryAuthFile: e.REGISTRY_AUTH_FILE,
    pullAhead: e.PULL_AHEAD ? { images: e.PULL_AHEAD_IMAGES, bytes: e.PULL_AHEAD_MB * 1024 * 1024 } : undefined,
    keepPredictions: e.KEEP_PREDICTIONS,
  };
}

export interface ImagePruningConfig {
  /** Prune once the engine's data root is fuller than this (percent). */
  highPercent: number;
  /** Down to this (percent; default 10 points under the high mark). */
  lowPercent: number;
  checkSeconds: number;
  /** Image references never pruned. */
  keepImages: string[];
}

/** WORKER_DISK_*: pruning is on once the high mark is set. */
function imagePruning(e: Env): { imagePruning?: ImagePruningConfig } {
  const high = e.WORKER_DISK_HIGH_PERCENT;
  if (high === undefined) {
    if (e.WORKER_DISK_LOW_PERCENT !== undefined) throw new ConfigError(['WORKER_DISK_LOW_PERCENT: set WORKER_DISK_HIGH_PERCENT too (pruning starts above the high mark)']);
    return {};
  }
  const low = e.WORKER_DISK_LOW_PERCENT ?? Math.max(0, high - 10);
  if (low >= high) throw new ConfigError([`WORKER_DISK_LOW_PERCENT: ${low} must be under WORKER_DISK_HIGH_PERCENT (${high})`]);
  return { imagePruning: { highPercent: high, lowPercent: low, checkSeconds: e.WORKER_DISK_CHECK_SECONDS, keepImages: e.WORKER_KEEP_IMAGES } };
}
