/**
 * A bounded soak (npm run soak [-- --runs 300]): a few hundred runs of mixed kinds while
 * workers are killed at random (kill -9 and SIGTERM) and Redis is killed -9 and restarted once.
 * With `--engines 2`, workers run on two hosts (the main engine and a second one, see hosts.ts)
 * and the second host is lost whole once (workers and engine killed) and brought back. With
 * `--faults` as well (faults.ts), the second engine is also restarted once (no live-restore) and
 * DATA_DIR is a small tmpfs that is filled for a few seconds mid-soak.
 * At the end every run must be finished and correctly classified, with no run lost, no run in
 * two containers, and no container or temp file left. Prints the counts; exits 1 on any miss.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { type RunView, isFinal } from '@modelrun/contracts';
import { watchContainers } from '../helpers/container-watch';
import { removeContainersOf } from '../helpers/docker';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { loseAndRestoreHost, startSoakHosts } from './hosts';
import { startRedisServer } from '../helpers/redis-server';
import { testLogger } from '../helpers/logger';
import { buildFixture, buildFixtures, fixture } from '../fixtures/images';
import { HOSTILE } from '../fixtures/hostile';
import { SoakFaults } from './faults';
import { tempFilesAfterSweep } from './temp-sweep';

interface Kind {
  image: string;
  limits?: Record<string, number>;
  cancel?: boolean;
  expect: { status: RunView['status']; reason?: string };
}

const KINDS: [Kind, number][] = [
  [{ image: 'score-json', expect: { status: 'succeeded' } }, 40],
  [{ image: 'exit-3', expect: { status: 'failed', reason: 'exit_code' } }, 15],
  [{ image: 'no-score', expect: { status: 'failed', reason: 'bad_output' } }, 10],
  [{ image: 'short-sleep', expect: { status: 'succeeded' } }, 20],
  [{ image: 'ignores-sigterm', limits: { timeoutSeconds: 2 }, expect: { status: 'failed', reason: 'timeout' } }, 10],
  [{ image: 'slow', cancel: true, expect: { status: 'cancelled', reason: 'cancelled' } }, 5],
];

function pick(): Kind {
  const total = KINDS.reduce((n, [, w]) => n + w, 0);
  let r = Math.random() * total;
  for (const [k, w] of KINDS) if ((r -= w) < 0) return k;
  return KINDS[0]![0];
}

function argText(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const total = arg('runs', 300);
  const engines = arg('engines', 1);
  // Workers per host.
  const workersWanted = arg('workers', engines > 1 ? 2 : 3);
  // Two hosts: a short lease so the lost host's runs are taken over within the soak.
  const leaseSeconds = 10;
  const started = Date.now();
  const log = (msg: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

  await buildFixtures();
  await buildFixture('ignores-sigterm', HOSTILE['ignores-sigterm']!);
  const redis = await startRedisServer();
  // --faults: the platform's faults too (faults.ts): an engine restart and a full volume.
  const faults = process.argv.includes('--faults') ? new SoakFaults() : undefined;
  const dataDir = faults?.volume.dir ?? mkdtempSync(join(tmpdir(), 'modelrun-soak-'));
  const prefix = `soak${Date.now().toString(36)}`;
  const env = {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    DATA_DIR: dataDir,
    PORT: '0',
    WORKER_METRICS_PORT: '0',
    WORKER_CONCURRENCY: '2',
    WORKER_LOCK_MS: '3000',
    WORKER_STALLED_INTERVAL_MS: '1500',
    WORKER_MAX_STALLED: '20',
    WORKER_SHUTDOWN_GRACE_SECONDS: '1',
    WORKER_RECONCILE_SECONDS: '5',
    RUN_ATTEMPTS: '10',
    RUN_BACKOFF_MS: '500',
    RUN_STOP_GRACE_SECONDS: '1',
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'info',
  };
  const api = await startApi(loadApiConfig(env), testLogger('api'));
  const http = supertest(api.url);
  const hosts = await startSoakHosts(engines, [...new Set(KINDS.map(([k]) => fixture(k.image)))], leaseSeconds);
  faults?.use(hosts.losable?.engine);
  const watch = await watchContainers(prefix, hosts.engines);
  const workers = new Map<AppProcess, string>();
  // Every worker process started, with its host, for `--logs DIR`.
  const everyWorker: [AppProcess, string][] = [];
  const down = new Set<string>();
  const counts = { kill9: 0, sigterm: 0, redisRestarts: 0, submit503: 0, cancel503: 0, hostsLost: 0 };

  const addWorker = async (host = 'a'): Promise<void> => {
    if (down.has(host)) return;
    const w = spawnApp('worker', { ...env, ...hosts.env(host) });
    everyWorker.push([w, host]);
    workers.set(w, host);
    void w.exited.then(() => workers.delete(w));
    await w.waitForLog('worker started', 60_000).catch(() => undefined);
  };
  for (const host of hosts.names) for (let i = 0; i < workersWanted; i++) await addWorker(host);
  log(`${workersWanted} workers up on each of ${hosts.names.length} host(s); submitting ${total} runs`);

  const submitted: { run: RunView; kind: Kind }[] = [];
  let chaos = true;
  const chaosLoop = (async () => {
    while (chaos) {
      await sleep(3_000 + Math.random() * 3_000);
      if (!chaos) break;
      // Until host b's engine has been restarted and is back, its workers are left alone: one
      // killed shortly before or during the restart leaves its runs unwatched through it (its
      // lock lapses only after WORKER_LOCK_MS), the case restartSettled describes.
      await faults?.restartSettled();
      const killable = [...workers].filter(([, h]) => !faults || faults.counts.engineRestarts > 0 || h !== 'b');
      const [victim, host] = killable[Math.floor(Math.random() * killable.length)] ?? [];
      if (victim) {
        const signal = Math.random() < 0.5 ? 'SIGKILL' : 'SIGTERM';
        victim.kill(signal);
        if (signal === 'SIGKILL') counts.kill9++;
        else counts.sigterm++;
      }
      // Its replacement starts on the same host, as a supervisor would restart it.
      void addWorker(host);
      void faults?.inject(submitted.length / total, log, async () => {
        // Its event stream ended with the engine (and its containers with it): follow the new one.
        watch.engineLost('b');
        await watch.reattach('b');
      });
      if (hosts.losable && counts.hostsLost === 0 && submitted.length > total * 0.6) {
        // Never in the middle of the engine restart (see restartSettled). On a fast machine the
        // two once coincided.
        await faults?.restartSettled();
        counts.hostsLost++;
        await loseAndRestoreHost({ hosts, watch, workers, addWorker, down, workersPerHost: workersWanted, downMs: (leaseSeconds + 5) * 1000, log });
      }
      if (counts.redisRestarts === 0 && submitted.length > total * 0.4) {
        // Not in the middle of the engine restart either: a Redis outage that long makes the
        // runs it stops be redelivered while their first delivery still judges them, and the
        // adopter can judge before the first has said the engine stopped them (seen once).
        await faults?.restartSettled();
        log('kill -9 Redis');
        await redis.kill9();
        await sleep(2_000);
        await redis.restart();
        counts.redisRestarts++;
        log('Redis restarted');
      }
    }
  })();

  // A cancel is retried through a Redis outage like a submission. One that finds the run already
  // ended (409) leaves it to its natural outcome: slow succeeds.
  const cancel = async (id: string, entry: { kind: Kind }): Promise<void> => {
    for (;;) {
      const res = await http.delete(`/v1/runs/${id}`);
      if (res.status === 202) return;
      if (res.status === 409) {
        entry.kind = { ...entry.kind, expect: { status: 'succeeded' } };
        return;
      }
      counts.cancel503++;
      await sleep(500);
    }
  };

  for (let i = 0; i < total; i++) {
    const kind = pick();
    // As a careful client does: a 503 from a connection Redis dropped mid-enqueue may still have
    // stored the run, and the retry with the same key gets that run rather than a second one (a
    // retry without a key once left 101 records for 100 runs).
    const key = `${prefix}-${i}`;
    for (;;) {
      const res = await http
        .post('/v1/models')
        .set('Idempotency-Key', key)
        .send({ image: fixture(kind.image), name: `soak-${kind.image}`, ...(kind.limits && { limits: kind.limits }) });
      if (res.status === 202) {
        submitted.push({ run: res.body as RunView, kind });
        if (kind.cancel) setTimeout(() => void cancel(res.body.id, submitted.at(-1)!), 1_000);
        break;
      }
      if (res.status !== 503) throw new Error(`submission answered ${res.status}: ${JSON.stringify(res.body)}`);
      counts.submit503++;
      await sleep(500);
    }
    await sleep(Math.random() * 150);
  }
  log(`all ${total} submitted; waiting for them to finish`);

  const finals = new Map<string, RunView>();
  const deadline = Date.now() + 20 * 60_000;
  while (finals.size < submitted.length && Date.now() < deadline) {
    for (const { run } of submitted) {
      if (finals.has(run.id)) continue;
      const res = await http.get(`/v1/runs/${run.id}`);
      // Recorded, not just shown final: a record always carries exitCode (null if none).
      if (res.status === 200 && isFinal(res.body.status) && 'exitCode' in res.body) {
        finals.set(run.id, res.body as RunView);
      }
    }
    if (finals.size < submitted.length) await sleep(1_000);
  }
  chaos = false;
  await chaosLoop;
  log(`${finals.size}/${submitted.length} finished; stopping workers`);

  // Let a worker finish and reconcile, and the recorders sweep what killed writers left, then
  // stop everything gracefully.
  await sleep(6_000);
  const tmpFiles = await tempFilesAfterSweep(join(dataDir, 'tmp'), log);
  for (const w of workers.keys()) w.kill('SIGTERM');
  await Promise.all([...workers.keys()].map((w) => w.exited));
  await watch.stop();

  const lost = submitted.filter(({ run }) => !finals.has(run.id)).length;
  const misclassified = submitted.filter(({ run, kind }) => {
    const f = finals.get(run.id);
    return f && (f.status !== kind.expect.status || (kind.expect.reason !== undefined && f.reason !== kind.expect.reason));
  });
  const ids = submitted.map(({ run }) => run.id);
  // One engine: a run never has a second container. Two: never two running at once (a run
  // taken over from the lost host has its second container after the first died with it).
  const duplicates = engines > 1 ? hosts.duplicates(watch, ids) : submitted.filter(({ run }) => watch.idsFor(run.id).size > 1).length;
  const leftovers = await hosts.leftovers(prefix);
  const records = readdirSync(join(dataDir, 'runs')).flatMap((m) => readdirSync(join(dataDir, 'runs', m))).length;
  const tmpLeft = tmpFiles.length;
  if (tmpLeft) console.log('temp files left:', tmpFiles.join(', '));

  const byStatus: Record<string, number> = {};
  for (const f of finals.values()) byStatus[`${f.status}${f.reason ? `/${f.reason}` : ''}`] = (byStatus[`${f.status}${f.reason ? `/${f.reason}` : ''}`] ?? 0) + 1;
  const summary = {
    runs: submitted.length,
    engines,
    finished: finals.size,
    records,
    workersKilled9: counts.kill9,
    workersSigterm: counts.sigterm,
    redisRestarts: counts.redisRestarts,
    ...(engines > 1 && { hostsLostAndRestored: counts.hostsLost, runsMovedToAnotherHost: hosts.movedHosts(watch, ids) }),
    ...(faults && faults.counts),
    submissionsRefused503: counts.submit503,
    cancelsRefused503: counts.cancel503,
    lost,
    duplicateContainers: duplicates,
    leftoverContainers: leftovers,
    leftoverTempFiles: tmpLeft,
    misclassified: misclassified.length,
    byStatus,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify(summary, null, 2));
  for (const m of misclassified.slice(0, 10)) {
    console.log('misclassified:', m.kind.image, JSON.stringify(finals.get(m.run.id)));
    // What every worker said of the run, so a failure in CI (where --logs is out of reach) can be followed.
    for (const [w, host] of everyWorker)
      for (const l of w.lines.filter((line) => line.runId === m.run.id).slice(0, 40)) {
        const { timestamp, message, attempt, error, exitCode, reason, containerId } = l as Record<string, unknown>;
        console.log(`  host ${host}:`, JSON.stringify({ timestamp, message, attempt, error, exitCode, reason, containerId }));
      }
  }
  const logsDir = argText('logs');
  if (logsDir) {
    // Each worker's log lines, to follow a run the table flags (grep its id).
    mkdirSync(logsDir, { recursive: true });
    everyWorker.forEach(([w, host], i) => writeFileSync(join(logsDir, `worker-${i}-host-${host}.ndjson`), w.lines.map((l) => JSON.stringify(l)).join('\n')));
    console.log(`worker logs: ${logsDir}`);
  }

  await api.close();
  await removeContainersOf(prefix);
  await hosts.stop();
  await redis.stop();
  if (faults) faults.stop();
  else rmSync(dataDir, { recursive: true, force: true });
  const ok = lost === 0 && duplicates === 0 && leftovers === 0 && tmpLeft === 0 && misclassified.length === 0 && records === submitted.length;
  console.log(ok ? 'SOAK PASSED' : 'SOAK FAILED');
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
