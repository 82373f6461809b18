import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunView } from '@modelrun/contracts';
import { watchContainers } from '../helpers/container-watch';
import { containersOf, volumesOf } from '../helpers/docker';
import { infra } from '../helpers/infra';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { fixture } from '../fixtures/images';

// Short locks and stall checks so a dead worker's run is noticed in seconds, not minutes.
const FAST_STALLS = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_MAX_STALLED: '5', WORKER_SHUTDOWN_GRACE_SECONDS: '1' };

describe('benchmark runs through worker crashes', function () {
  // Each test runs a 6 s step while a worker is killed and another started.
  this.timeout(120_000);
  let stack: Stack;
  let reference: string;
  const procs: AppProcess[] = [];

  before(async function () {
    // First use builds the fixture and benchmark images and a reference volume: tens of seconds on a cold engine.
    this.timeout(120_000);
    await infra();
    await buildBenchmarkFixtures();
    reference = `modelrun-test-ref-crash-${process.pid}`;
    await createReferenceVolume(reference);
  });
  after(async () => removeVolume(reference));
  beforeEach(async () => {
    const file = writeBenchmarksFile(reference, [
      { name: 'toy', evaluator: 'bm-eval' },
      { name: 'toy-slow-eval', evaluator: 'bm-eval-slow' },
    ]);
    stack = await startStack({ workers: 0, env: { ...FAST_STALLS, BENCHMARKS_FILE: file } });
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
    await stack?.stop();
  });

  const worker = async (): Promise<AppProcess> => {
    const p = spawnApp('worker', { ...stack.env });
    procs.push(p);
    await p.waitForLog('worker started');
    return p;
  };
  const submit = async (image: string, name: string, benchmark: string): Promise<RunView> => {
    const res = await stack.http.post('/v1/models').send({ image: fixture(image), name, benchmark });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body as RunView;
  };
  const phaseOf = async (id: string): Promise<string | undefined> => (await stack.http.get(`/v1/runs/${id}`)).body.phase;

  /** Kills the worker -9 once the run is in `phase` and its container for that step runs; a new worker must finish it. */
  async function survives(image: string, benchmark: string, phase: 'running' | 'evaluating', step: string): Promise<void> {
    const watch = await watchContainers(stack.prefix);
    const a = await worker();
    const run = await submit(image, `crash-${phase}`, benchmark);
    await waitFor(`the run to be ${phase}`, async () => ((await phaseOf(run.id)) === phase ? true : undefined), 30_000);
    await waitFor(`its ${step} container to run`, async () => ((await containersOf(stack.prefix)).some((c) => c.Names[0]?.includes(step) && c.State === 'running') ? true : undefined), 20_000);
    a.kill('SIGKILL');
    await a.exited;
    const b = await worker();
    const end = await stack.waitForRun(run.id, undefined, 60_000);
    await watch.stop();
    assert.equal(end.status, 'succeeded', JSON.stringify(end));
    assert.equal(end.score, 0.75, "the evaluator's score");
    // Kept before the evaluator's container was made, so an adopted evaluator's run has them too (issue 19).
    assert.ok(end.predictionsBytes! > 0, `its predictions are kept: ${JSON.stringify(end)}`);
    assert.match(end.evaluatorImage ?? '', /^sha256:[0-9a-f]{64}$/, 'the evaluator image that scored it');
    const adopted = phase === 'running' ? "adopted the run's existing container" : "adopted the run's evaluator container";
    assert.ok(
      b.lines.some((l) => l.message === adopted && l.runId === run.id),
      `the new worker logged "${adopted}"`,
    );
    const names = [...watch.idsFor(run.id)];
    // Said in full when it fails (CI once saw 4 under load): each container's events, and what the new worker did with the run.
    const story = (): string =>
      JSON.stringify({
        events: watch.eventsFor(run.id).map((e) => `${e.id.slice(-12)} ${e.action}`),
        worker: b.lines.filter((l) => l.runId === run.id).map((l) => `${String(l.message)} ${String(l.attempt ?? '')} ${String(l.error ?? '')}`),
      });
    assert.equal(names.length, 3, `one model container, one predictions helper, one evaluator container, ever: ${story()}`);
    assert.deepEqual(readdirSync(join(stack.dataDir, 'runs', `crash-${phase}`)), [`${run.id}.json`], 'recorded once');
    await waitFor('no container or volume left', async () => ((await containersOf(stack.prefix)).length + (await volumesOf(stack.prefix)).length === 0 ? true : undefined), 20_000);
  }

  it('adopts the model container after a kill -9 in the model step', async () => {
    await survives('bm-slow-model', 'toy', 'running', '-run-');
  });

  it('adopts the evaluator container after a kill -9 in the evaluator step', async () => {
    await survives('bm-honest', 'toy-slow-eval', 'evaluating', '-eval-');
  });
});
