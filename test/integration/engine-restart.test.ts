import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { LABELS, type RunView, newRunId } from '@modelrun/contracts';
import { createDockerRunner, engineRefusesConnections } from '@modelrun/runner';
import { isKeeper } from '../helpers/docker';
import { TestEngine } from '../helpers/docker-engine';
import { type Stack, startStack } from '../helpers/stack';
import { LONG_MODEL, buildLongModel, release } from '../helpers/two-hosts';
import { buildFixture, buildFixtures, fixture } from '../fixtures/images';
import { waitFor } from '../helpers/wait';

/** A model that stops itself with SIGTERM: exit code 143, like a container the engine stopped. */
const SELF_TERM = { script: 'echo "stopping myself"; kill -TERM $$; sleep 5' };
/** A model that exits 0 on SIGTERM, before writing its score: stopped by the engine, it leaves no score. */
const TERM_EXITS_0 = { script: 'trap "exit 0" TERM; sleep 6 & wait; echo \'{"score": 0.5}\' > /output/score.json' };

/** The engine's `create` events for a run's containers since `since` (its event buffer starts empty at each boot); not its output keepers'. */
async function createsSince(docker: Docker, runId: string, since: Date): Promise<number> {
  const stream = (await docker.getEvents({
    since: Math.floor(since.getTime() / 1000),
    until: Math.ceil(Date.now() / 1000),
    filters: { type: ['container'], event: ['create'], label: [`${LABELS.runId}=${runId}`] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const events = text.split('\n').filter((l) => l.trim());
  return events.filter((l) => !isKeeper((JSON.parse(l) as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes)).length;
}

for (const liveRestore of [false, true]) {
  describe(`the Docker engine restarting mid-run (${liveRestore ? 'with' : 'without'} live-restore)`, function () {
    // Engine stop and boot take 1-5 s each on a loaded machine; retries back off 1 s, 2 s, 4 s.
    this.timeout(120_000);
    let engine: TestEngine;
    let stack: Stack;

    before(async () => {
      // buildFixtures runs once per process: the extra image is built on its own.
      await buildFixtures();
      await buildFixture('self-term', SELF_TERM);
      await buildFixture('term-exits-0', TERM_EXITS_0);
      await buildLongModel();
      engine = await TestEngine.start({ name: liveRestore ? 'faultslr' : 'faultsnolr', liveRestore });
      await engine.loadImages([fixture('no-score'), fixture('six-seconds'), fixture(LONG_MODEL), fixture('self-term'), fixture('term-exits-0')]);
      stack = await startStack({ workers: 0, env: { RUN_ATTEMPTS: '6', RUN_BACKOFF_MS: '1000' } });
      await stack.startWorker({ DOCKER_HOST: engine.dockerHost });
    });
    after(async () => {
      await stack?.stop();
      await engine?.destroy();
    });

    it(
      liveRestore
        ? "re-attaches to the container the engine kept running, and runs it again once the engine's restart has dropped its output: never the model's bad_output"
        : "runs again, in a new container, a run whose container the engine stopped: never the model's exit code",
      async () => {
        // With live-restore the container must outlive the restart, which takes 2-10 s on a
        // loaded machine: a fixed 6 s model could end while the engine is down. So that run's
        // model runs until released, once the engine is back.
        const run = await stack.submit(fixture(liveRestore ? LONG_MODEL : 'six-seconds'), 'engine-restart');
        await stack.waitForPhase(run.id, 'running', 20_000);
        const restartedAt = new Date();
        await engine.restart();
        const backAt = Date.now();
        if (liveRestore) {
          await release(engine.docker, stack.prefix, run.id);
          // The container lived through the restart, but the engine unmounted its output tmpfs when
          // it started: the run starts again in a new container, which is released in turn.
          await waitFor('the run to start again in a new container', async () => ((await createsSince(engine.docker, run.id, restartedAt)) === 1 ? true : undefined), 90_000);
          await release(engine.docker, stack.prefix, run.id);
        }
        const done: RunView = await stack.waitForRun(run.id, undefined, 90_000);
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        assert.equal(done.score, liveRestore ? 0.2 : 0.66);
        const creates = await createsSince(engine.docker, run.id, restartedAt);
        if (liveRestore) {
          assert.equal(creates, 1, 'the model ran again in one new container, once its first one had been watched to its end');
          assert.match((done.attemptErrors ?? []).map((e) => e.message).join('\n'), /the engine restarted while the model ran and dropped the run's output/);
          assert.ok(Date.parse(done.startedAt!) > backAt, 'the recorded run is the one that ran after the restart');
        } else {
          assert.equal(creates, 1, 'the model ran again in one new container');
          const messages = (done.attemptErrors ?? []).map((e) => e.message).join('\n');
          assert.match(messages, /the engine (went away|stopped the run's container)/, 'the attempt the engine ended is kept as an infrastructure error');
          assert.ok(done.attempts! >= 2, 'the run was retried');
          assert.ok(Date.parse(done.startedAt!) > restartedAt.getTime(), 'the recorded run is the one that ran after the restart');
        }
      },
    );

    if (!liveRestore) {
      it("runs again a model that exits 0 on the engine's SIGTERM without its score: never bad_output", async () => {
        const run = await stack.submit(fixture('term-exits-0'), 'term-exits-0');
        await stack.waitForPhase(run.id, 'running', 20_000);
        const restartedAt = new Date();
        await engine.restart();
        const done: RunView = await stack.waitForRun(run.id, undefined, 90_000);
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        assert.equal(done.score, 0.5);
        assert.ok(done.attempts! >= 2, 'the run was retried');
        assert.match((done.attemptErrors ?? []).map((e) => e.message).join('\n'), /the engine (went away|stopped the run's container)/);
        assert.equal(await createsSince(engine.docker, run.id, restartedAt), 1, 'the model ran again in one new container');
      });
    }

    if (!liveRestore) {
      // The fault soak recorded two runs against their models on an engine already told to stop:
      // a 143 with no kill event on the stream the engine still held open, and a model that wrote
      // its score and exited 0 whose output read back empty with its keeper still "running" (its
      // container was started through a kept-alive connection). judgeStop and collect ask this
      // probe when nothing else explains a failure or an empty output (stop-verdict.ts).
      it('an engine shutting down refuses new connections while its event stream stays open; an empty output read then is dropped by the engine, not the model', async () => {
        assert.equal(await engineRefusesConnections(engine.docker), false, 'a running engine answers');
        const runner = createDockerRunner({
          dockerHost: engine.dockerHost,
          deployment: stack.prefix,
          sandbox: { pidsLimit: 64, tmpMb: 16, logMaxBytes: 65536, outputMaxBytes: 1 << 20, stopGraceSeconds: 1 },
        });
        const limits = { timeoutSeconds: 30, memoryMb: 64, cpus: 1, gpus: 0 };
        const quiet = await runner.start(await runner.prepare({ runId: newRunId(), name: 'no-score-up', image: fixture('no-score'), limits }));
        await runner.wait(quiet, limits);
        const up = await runner.collect(quiet);
        assert.deepEqual([up.entries, up.dropped ?? false, up.engineClosing ?? false], [0, false, false], "on a running engine an empty output is the model's");

        const closing = await runner.start(await runner.prepare({ runId: newRunId(), name: 'no-score-closing', image: fixture('no-score'), limits }));
        await runner.wait(closing, limits);
        // A container that ignores SIGTERM holds the shutdown open for the engine's 10 s grace.
        const holder = await engine.docker.createContainer({ Image: fixture('six-seconds'), Entrypoint: ['/bin/sh', '-c', "trap '' TERM; sleep 60"] });
        await holder.start();
        const events = (await engine.docker.getEvents({ filters: { type: ['container'] } })) as NodeJS.ReadableStream;
        let streamEnded = false;
        events.on('end', () => (streamEnded = true)).on('error', () => (streamEnded = true));
        events.resume();
        const stopping = engine.stop();
        try {
          await waitFor('the engine to refuse a new connection', async () => ((await engineRefusesConnections(engine.docker)) ? true : undefined), 5_000);
          assert.equal(streamEnded, false, 'the engine still holds the event stream it had open');
          const read = await runner.collect(closing);
          assert.deepEqual([read.entries, read.dropped, read.engineClosing], [0, true, true], JSON.stringify(read));
        } finally {
          await stopping;
          await engine.boot();
        }
      });
    }

    it("still records a model that stops itself with SIGTERM (143) as the model's exit", async () => {
      const run = await stack.submit(fixture('self-term'), 'self-term');
      const done = await stack.waitForRun(run.id, undefined, 30_000);
      assert.equal(done.status, 'failed');
      assert.equal(done.reason, 'exit_code', JSON.stringify(done));
      assert.equal(done.exitCode, 143);
      assert.equal(done.attempts, 1, 'not retried');
    });
  });
}
