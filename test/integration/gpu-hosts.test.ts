import assert from 'node:assert/strict';
import type { RunView } from '@modelrun/contracts';
import type { StartedWorker } from '@modelrun/worker';
import { type ContainerWatch, watchContainers } from '../helpers/container-watch';
import { docker } from '../helpers/docker';
import { TestEngine } from '../helpers/docker-engine';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { buildFixture, buildFixtures, fixture } from '../fixtures/images';

/** Prints the devices the engine gave it (NVIDIA_VISIBLE_DEVICES), holds them a while, scores. */
const GPU_PROBE = { script: `echo "devices=$NVIDIA_VISIBLE_DEVICES"; sleep 4; echo '{"score": 1}' > "$OUTPUT_DIR/score.json"` };

/**
 * A GPU host stood in for by a second engine with the NVIDIA hook stand-in on its PATH (it
 * accepts device requests and sets NVIDIA_VISIBLE_DEVICES), beside a CPU-only worker on the
 * main engine (which refuses device requests). Both on one queue prefix, Redis and volume.
 */
describe('GPU hosts', function () {
  // An engine boots (1-5 s), images are copied into it, and GPU runs hold their devices 4 s each.
  this.timeout(120_000);
  let stack: Stack;
  let engine: TestEngine;
  let gpuWorker: StartedWorker;
  const DEVICES = '0,1,2';

  const devicesOf = async (run: RunView): Promise<string[]> => {
    const logs = await stack.http.get(`/v1/runs/${run.id}/logs`);
    const line = /^devices=(.*)$/m.exec(logs.text);
    assert.ok(line, `run ${run.id} printed its devices: ${logs.text}`);
    return line[1]!.split(',').filter(Boolean);
  };
  const overlap = (a: RunView, b: RunView): boolean => Date.parse(a.startedAt!) < Date.parse(b.finishedAt!) && Date.parse(b.startedAt!) < Date.parse(a.finishedAt!);
  const startGpuWorker = (): Promise<StartedWorker> => stack.startWorker({ DOCKER_HOST: engine.dockerHost, WORKER_GPUS: DEVICES, WORKER_CONCURRENCY: '1' });

  before(async () => {
    await buildFixtures();
    await buildFixture('gpu-probe', GPU_PROBE);
    // RUN_GPUS_MAX is the API's: the most devices one GPU worker has (here 3, capped to 2 to test the refusal).
    stack = await startStack({ workers: 0, env: { RUN_GPUS_MAX: '2', WORKER_SHUTDOWN_GRACE_SECONDS: '0' } });
    engine = await TestEngine.start({ name: 'gpu', gpuStandIn: true });
    await engine.loadImages([fixture('gpu-probe'), fixture('score-json')]);
    await stack.startWorker();
    gpuWorker = await startGpuWorker();
  });
  after(async () => {
    await stack?.stop();
    await engine?.destroy();
    await (
      await docker()
    )
      .getImage(fixture('gpu-probe'))
      .remove()
      .catch(() => undefined);
  });

  it('gives concurrent GPU runs their own devices, by id, and a CPU-only worker never takes one', async () => {
    const main = await docker();
    const watch: ContainerWatch = await watchContainers(stack.prefix, [
      { name: 'main', docker: main },
      { name: 'gpu', docker: engine.docker },
    ]);
    const wants = [1, 2, 1, 2, 1];
    const submitted = [];
    for (const gpus of wants) submitted.push(await stack.submit(fixture('gpu-probe'), 'gpu-probe', { gpus }));
    const cpu = await stack.submit(fixture('score-json'), 'cpu-beside');
    const done = await Promise.all(submitted.map((r) => stack.waitForRun(r.id, undefined, 90_000)));
    assert.equal((await stack.waitForRun(cpu.id)).status, 'succeeded');
    await watch.stop();
    const devices = await Promise.all(done.map(devicesOf));
    done.forEach((run, i) => {
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
      assert.equal(devices[i]!.length, wants[i], `run ${i} got ${wants[i]} devices: ${devices[i]}`);
      assert.ok(
        devices[i]!.every((d) => DEVICES.split(',').includes(d)),
        `only WORKER_GPUS: ${devices[i]}`,
      );
      const engines = [...watch.idsFor(run.id)].map((id) => id.split(':')[0]);
      assert.deepEqual(engines, ['gpu'], `run ${i} had one container, on the GPU host`);
    });
    let concurrent = 0;
    for (let i = 0; i < done.length; i++) {
      for (let j = i + 1; j < done.length; j++) {
        if (!overlap(done[i]!, done[j]!)) continue;
        concurrent++;
        const shared = devices[i]!.filter((d) => devices[j]!.includes(d));
        assert.deepEqual(shared, [], `runs ${i} and ${j} ran at once and shared devices ${shared}`);
      }
    }
    assert.ok(concurrent >= 1, 'some GPU runs ran at the same time (else distinct devices prove nothing)');
    // Every container removed: the GPU worker's /metrics shows all three devices free again.
    await waitFor(
      'the devices to be free again',
      async () => {
        const text = await (await fetch(`${gpuWorker.metricsUrl}/metrics`)).text();
        return /modelrun_worker_gpus\{state="free"\} 3/.test(text) && /modelrun_worker_gpus\{state="held"\} 0/.test(text) ? true : undefined;
      },
      20_000,
    );
  });

  it('refuses at submit a GPU run that asks for more than any worker has (RUN_GPUS_MAX)', async () => {
    const res = await stack.http.post('/v1/models').send({ image: fixture('gpu-probe'), name: 'too-many', limits: { gpus: 3 } });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /limits\.gpus: 3 is over the ceiling of 2 GPUs/);
  });

  it("keeps a handed-back run's devices taken across a worker restart, until its container is gone", async () => {
    const first = await stack.submit(fixture('gpu-probe'), 'gpu-handback', { gpus: 2 });
    await waitFor('the first run to be running', async () => ((await stack.http.get(`/v1/runs/${first.id}`)).body.phase === 'running' ? true : undefined), 30_000);
    // A deploy: no grace, so the run is handed back with its container (and devices) left running.
    await gpuWorker.close('deploy');
    const second = await stack.submit(fixture('gpu-probe'), 'gpu-after', { gpus: 2 });
    gpuWorker = await startGpuWorker();
    const [a, b] = await Promise.all([stack.waitForRun(first.id, undefined, 60_000), stack.waitForRun(second.id, undefined, 60_000)]);
    assert.equal(a.status, 'succeeded', JSON.stringify(a));
    assert.equal(b.status, 'succeeded', JSON.stringify(b));
    // Three devices, two taken by the adopted container: the second run waited for them.
    assert.ok(!overlap(a, b), `the second run (${b.startedAt}) started after the first ended (${a.finishedAt})`);
    const [da, db] = [await devicesOf(a), await devicesOf(b)];
    assert.equal(da.length, 2);
    assert.equal(db.length, 2);
  });
});
