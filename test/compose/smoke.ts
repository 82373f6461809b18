/**
 * The compose smoke test (`npm run test:compose`): the stack that docker-compose.yml describes,
 * built from this checkout and run for real, end to end.
 *
 *   base images present (pulled, or stand-ins built by scripts/standin-images.sh)
 *   → build api + worker (+ the sample model when model/Dockerfile exists)
 *   → up with a random project name and a fresh token → /readyz
 *   → submit a tiny model image, read its score back through the API; run the sample model
 *   → a batch of runs on 1 worker → scale to 3 workers, all healthy → the same batch again;
 *     every run succeeds with exactly one container, and both throughputs are printed
 *   → down -v and remove the test images, always, also on failure or Ctrl-C.
 *
 * It installs nothing. It needs docker, docker-compose (v1) or `docker compose` (v2), and a static
 * busybox (Debian: busybox-static); what is missing is named with the command that installs it.
 * Every wait has a deadline and says what it waited for. SMOKE_BATCH sets the batch size (12).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunView } from '@modelrun/contracts';
import { buildImage, docker, removeContainersOf, staticBusybox } from '../helpers/docker';
import { waitFor } from '../helpers/wait';
import { ApiClient } from './api-client';
import { runsPerContainer, serviceContainers, watchRunContainers } from './engine';
import { type RunOpts, composeCommand, dockerSocketGid, extraCaCerts, freePort, hasBuildx, run } from './host';

const ROOT = resolve(__dirname, '../..');
const ID = randomBytes(4).toString('hex');
const PROJECT = `mrsmoke${ID}`;
/** The queue prefix is also the label the worker puts on run containers: ours alone. */
const PREFIX = `smoke${ID}`;
const TOKEN = randomBytes(24).toString('hex');
const BUSYBOX_IMAGE = `modelrun-smoke/busybox:${ID}`;
const MODEL_IMAGE = `modelrun-smoke/score:${ID}`;
const SAMPLE_MODEL_IMAGE = 'modelrun/sample-model:latest';
const HAS_SAMPLE_MODEL = existsSync(join(ROOT, 'model', 'Dockerfile'));
const EMPTY_ENV_FILE = join(tmpdir(), `modelrun-smoke-${ID}.env`);
const BATCH = Number.parseInt(process.env.SMOKE_BATCH ?? '12', 10);
const SCALE = 3;

// ---- output ------------------------------------------------------------------------------------

const started = Date.now();
const timings: [string, number][] = [];
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const say = (msg: string): void => void process.stdout.write(`[compose-smoke] ${msg}\n`);
let current = 'start';

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  current = name;
  say(`${name} ...`);
  try {
    const value = await fn();
    timings.push([name, Date.now() - t0]);
    say(`${name}: ok (${secs(Date.now() - t0)})`);
    return value;
  } catch (err) {
    timings.push([`${name} (FAILED)`, Date.now() - t0]);
    throw err;
  }
}

// ---- the stack ---------------------------------------------------------------------------------

let compose: string[] = [];
let env: NodeJS.ProcessEnv = {};
let api: ApiClient;
/** Set once `up` was attempted: from then on there are logs worth showing on failure. */
let stackStarted = false;

function dc(args: string[], opts: Omit<RunOpts, 'env' | 'cwd'>): Promise<string> {
  const [cmd, ...pre] = compose;
  // An empty env file: the developer's .env (ALLOWED_IMAGES, API_PUBLISH, ...) stays out of the test.
  const all = [...pre, '--env-file', EMPTY_ENV_FILE, '-p', PROJECT, '-f', join(ROOT, 'docker-compose.yml'), ...args];
  return run(cmd!, all, { ...opts, cwd: ROOT, env });
}

async function preflight(): Promise<void> {
  await docker();
  const found = composeCommand();
  if (!found) throw new Error('neither `docker compose` (v2) nor docker-compose (v1) is installed. Debian: apt-get install docker-compose');
  compose = found;
  staticBusybox(); // fails with `apt-get install busybox-static` when there is none
  if (!(BATCH > 0)) throw new Error(`SMOKE_BATCH=${process.env.SMOKE_BATCH} is not a positive number`);
  writeFileSync(EMPTY_ENV_FILE, '');
  const gid = dockerSocketGid();
  const publish = `127.0.0.1:${await freePort()}`;
  env = {
    ...process.env,
    API_TOKENS: TOKEN,
    DOCKER_GID: String(gid),
    API_PUBLISH: publish,
    QUEUE_PREFIX: PREFIX,
    WORKER_CONCURRENCY: '2',
    EXTRA_CA_CERTS: extraCaCerts(),
    ...(!process.env.DOCKER_BUILDKIT && !hasBuildx() && { DOCKER_BUILDKIT: '0' }),
  };
  api = new ApiClient(`http://${publish}`, TOKEN);
  say(`compose: ${compose.join(' ')}; project ${PROJECT}; API at ${api.url}; Docker socket group ${gid}`);
}

async function buildTestImage(): Promise<void> {
  const busybox = { Dockerfile: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n', busybox: staticBusybox() };
  await buildImage(BUSYBOX_IMAGE, busybox, { busybox: 0o755 });
  const script = `echo "scoring \${MODEL_NAME} run \${RUN_ID}"; echo '{"score": 0.9}' > "$OUTPUT_DIR/score.json"`;
  await buildImage(MODEL_IMAGE, { Dockerfile: `FROM ${BUSYBOX_IMAGE}\nCMD ${JSON.stringify(['/bin/sh', '-c', script])}\n` });
}

async function buildStack(): Promise<void> {
  const services = ['api', 'worker', ...(HAS_SAMPLE_MODEL ? ['sample-model'] : [])];
  // A cold build installs the npm dependencies three times and compiles everything: minutes.
  await dc(['build', ...services], { timeoutMs: 15 * 60_000, echo: process.env.SMOKE_VERBOSE === '1' });
}

async function up(): Promise<void> {
  stackStarted = true;
  await dc(['up', '-d', '--no-build'], { timeoutMs: 3 * 60_000 });
  // Redis is healthy in a few seconds; the API then connects and indexes an empty volume.
  await waitFor('GET /readyz to answer 200', async () => ((await api.call('GET', '/readyz', undefined, null)).status === 200 ? true : undefined), 90_000, 500);
}

/** The image ships the web app (apps/web/dist) and the API reference's files. */
async function webApp(): Promise<void> {
  for (const [path, expect] of [
    ['/', 'id="app"'],
    ['/assets/app.js', '/v1/session'],
    ['/docs', 'swagger-ui'],
    ['/assets/docs/swagger-ui-bundle.js', 'SwaggerUI'],
  ] as const) {
    const res = await api.call('GET', path, undefined, null);
    if (res.status !== 200 || !String(res.body).includes(expect)) throw new Error(`GET ${path} answered ${res.status}, expected 200 with ${expect}`);
  }
}

async function oneRun(): Promise<void> {
  const unauthorized = await api.call('GET', '/v1/models', undefined, null);
  if (unauthorized.status !== 401) throw new Error(`GET /v1/models without a token answered ${unauthorized.status}, expected 401`);
  const submitted = await api.submit(MODEL_IMAGE, 'smoke-one');
  // One container start and stop on an idle engine: seconds. The margin covers a cold page cache.
  const [done] = await api.waitForRuns([submitted.id], 90_000);
  if (done?.status !== 'succeeded' || done.score !== 0.9) throw new Error(`run ${submitted.id} ended as ${JSON.stringify(done)}, expected succeeded with score 0.9`);
  // The API's index learns of the record from the queue's events, or its rescan.
  await waitFor(
    'GET /v1/models/smoke-one to list the run',
    async () => {
      const res = await api.call('GET', '/v1/models/smoke-one');
      return res.status === 200 && JSON.stringify(res.body).includes(submitted.id) ? true : undefined;
    },
    15_000,
    250,
  );
  say(`run ${submitted.id}: ${done.status}, score ${done.score}; GET /v1/models/smoke-one lists it`);
}

/** The image the README's curl walk submits (npm run stack builds it): it must build, run in the sandbox and score. */
async function sampleModel(): Promise<void> {
  const submitted = await api.submit(SAMPLE_MODEL_IMAGE, 'smoke-sample');
  // Loads the digits set and fits an SVM on one CPU: seconds, but allow for a cold start of Python.
  const [done] = await api.waitForRuns([submitted.id], 180_000);
  if (done?.status !== 'succeeded' || typeof done.score !== 'number') throw new Error(`the sample model's run ended as ${JSON.stringify(done)}`);
  say(`sample model: ${done.status}, score ${done.score.toFixed(4)} in ${done.durationMs ?? '?'} ms`);
}

async function scaleOut(): Promise<void> {
  await dc(['up', '-d', '--no-build', '--no-recreate', '--scale', `worker=${SCALE}`], { timeoutMs: 3 * 60_000 });
  // A worker is healthy once it has reached Redis and Docker and serves /healthz; the check runs
  // every 5 s, after a start period of up to 20 s.
  let seen: string[] = [];
  await waitFor(
    `${SCALE} healthy worker containers`,
    async () => {
      const ws = await serviceContainers(PROJECT, 'worker');
      seen = ws.map((w) => `${w.name}=${w.health}`);
      return ws.length === SCALE && ws.every((w) => w.health === 'healthy') ? true : undefined;
    },
    120_000,
    1_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; workers: ${seen.join(', ') || 'none'}`);
  });
  say(`workers: ${seen.join(', ')}`);
}

/** Submits BATCH tiny models at once; each must succeed with exactly one container. Runs/s. */
async function batch(label: string): Promise<number> {
  const creates = await watchRunContainers(PREFIX);
  try {
    const ids: string[] = [];
    for (let i = 0; i < BATCH; i++) ids.push((await api.submit(MODEL_IMAGE, `smoke-${label}-${i % 4}`)).id);
    const t0 = Date.now();
    // Each run is a container create, start, copy and stop (~1-2 s of the engine's time on 2
    // cores), so even one worker ends the batch in well under a minute; 5 s a run is the margin.
    const done: RunView[] = await api.waitForRuns(ids, 60_000 + BATCH * 5_000);
    const ms = Date.now() - t0;
    const bad = done.filter((r) => r.status !== 'succeeded' || r.score !== 0.9);
    if (bad.length) throw new Error(`${bad.length} of ${BATCH} runs did not succeed with score 0.9: ${JSON.stringify(bad.slice(0, 3))}`);
    // Every create came before its run ended; the events may still be on their way.
    await waitFor('a container-create event for every run', () => (ids.every((id) => creates.counts.has(id)) ? true : undefined), 10_000, 100).catch(() => undefined);
    const wrong = ids.filter((id) => creates.counts.get(id) !== 1);
    if (wrong.length) throw new Error(`runs without exactly one container: ${wrong.map((id) => `${id}=${creates.counts.get(id) ?? 0}`).join(', ')}`);
    const perWorker = await runsPerContainer(await serviceContainers(PROJECT, 'worker'), ids);
    say(`${label}: ${BATCH} runs succeeded in ${secs(ms)} (${((BATCH * 1000) / ms).toFixed(2)} runs/s), one container each; by worker: ${perWorker}`);
    return (BATCH * 1000) / ms;
  } finally {
    creates.stop();
  }
}

// ---- teardown ----------------------------------------------------------------------------------

let tornDown: Promise<void> | undefined;

/** Removes everything this run made; each part is tried even when another fails. Idempotent. */
function teardown(failed: boolean): Promise<void> {
  tornDown ??= (async () => {
    const t0 = Date.now();
    say('teardown ...');
    if (failed && stackStarted) {
      const logs = await dc(['logs', '--no-color', '--tail', '60'], { timeoutMs: 30_000 }).catch((e: Error) => e.message);
      process.stdout.write(`---- compose logs (last 60 lines of each container) ----\n${logs}\n----\n`);
    }
    if (compose.length) {
      await dc(['down', '-v', '--remove-orphans', '-t', '10'], { timeoutMs: 3 * 60_000 }).catch((e: Error) => say(`down failed: ${e.message}`));
    }
    // Run containers of runs still going when the stack went down, and the images this test
    // built. The stack's own images (modelrun/*) and the base images stay: the next build's cache.
    await removeContainersOf(PREFIX).catch((e: Error) => say(`removing run containers failed: ${e.message}`));
    const d = await docker().catch(() => undefined);
    for (const img of [MODEL_IMAGE, BUSYBOX_IMAGE])
      await d
        ?.getImage(img)
        .remove({ force: true })
        .catch(() => undefined);
    rmSync(EMPTY_ENV_FILE, { force: true });
    timings.push(['teardown', Date.now() - t0]);
    say(`teardown: done (${secs(Date.now() - t0)})`);
  })();
  return tornDown;
}

// ---- main --------------------------------------------------------------------------------------

async function main(): Promise<void> {
  let finished = false;
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(sig, () => {
      say(`${sig}: tearing down`);
      void teardown(true).finally(() => process.exit(code));
    });
  }
  // Node exits with 0 when nothing is left to wait on; a wait that loses its handle must fail.
  process.on('beforeExit', () => {
    if (finished) return;
    finished = true;
    say(`FAILED: nothing left to wait on during "${current}" (a lost handle)`);
    void teardown(true).finally(() => process.exit(1));
  });

  let failure: unknown;
  try {
    await step('preflight (docker, compose, busybox)', preflight);
    await step('base images (present, pulled or stand-ins)', () => run('bash', ['scripts/standin-images.sh'], { cwd: ROOT, timeoutMs: 20 * 60_000, echo: true }));
    await step('build the test model image', buildTestImage);
    if (HAS_SAMPLE_MODEL) {
      // model:build provides the model's Python base (pulled, or its own offline stand-in) and
      // builds modelrun/sample-model; compose's build of the same service then comes from cache.
      await step('sample model image (npm run model:build)', () => run('npm', ['run', '--silent', 'model:build'], { cwd: ROOT, timeoutMs: 30 * 60_000, echo: true }));
    } else {
      say('model/Dockerfile does not exist: the sample model is neither built nor run');
    }
    await step('compose build', buildStack);
    await step('compose up, wait for /readyz', up);
    await step('the web app and /docs are served', webApp);
    await step('submit a model, read its score through the API', oneRun);
    if (HAS_SAMPLE_MODEL) await step('run the sample model', sampleModel);
    const one = await step(`a batch of ${BATCH} runs on 1 worker`, () => batch('1-worker'));
    await step(`scale to ${SCALE} workers, all healthy`, scaleOut);
    const three = await step(`the same batch on ${SCALE} workers`, () => batch(`${SCALE}-workers`));
    say(`throughput: ${one.toFixed(2)} runs/s on 1 worker, ${three.toFixed(2)} runs/s on ${SCALE} (WORKER_CONCURRENCY=2 each)`);
  } catch (err) {
    failure = err;
    say(`FAILED: ${(err as Error).message}`);
  }
  finished = true;
  await teardown(failure !== undefined);
  say('timings:');
  for (const [name, ms] of timings) say(`  ${secs(ms).padStart(8)}  ${name}`);
  say(`  ${secs(Date.now() - started).padStart(8)}  total`);
  // The plain closing line CI reads: each step is one check.
  const passed = timings.filter(([n]) => !n.includes('FAILED') && n !== 'teardown').length;
  process.stdout.write(`compose-smoke: ${passed} passed, ${failure ? 1 : 0} failed\n`);
  process.exit(failure ? 1 : 0);
}

void main();
