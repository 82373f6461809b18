import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunView } from '@modelrun/contracts';
import type { StartedWorker } from '@modelrun/worker';
import { type ContainerWatch, watchContainers } from '../helpers/container-watch';
import { docker } from '../helpers/docker';
import { TestEngine } from '../helpers/docker-engine';
import { GVISOR_ENGINE, UNDER_GVISOR } from '../helpers/gvisor';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { LABELS_TXT } from '../fixtures/benchmark';
import { BASE_IMAGE, buildFixture, buildFixtures, fixture } from '../fixtures/images';

const TOKEN = 'routing-token-Hq3Zv8Lw1Nc6Ry0Tb4Ke';

/** The benchmark model: predicts (3 of 4 right) only when gVisor's kernel answers it, else writes nothing and fails. */
const GVISOR_MODEL = `${UNDER_GVISOR} || { echo "not under gVisor" >&2; exit 4; }; printf '1 3\\n2 0\\n3 7\\n4 1\\n' > "$OUTPUT_DIR/predictions.txt"`;
/** The trusted evaluator: scores only when it runs on the host's own kernel (runc), never under gVisor. */
const RUNC_EVALUATOR = [
  `if ${UNDER_GVISOR}; then echo "evaluator under gVisor" >&2; exit 5; fi`,
  `awk 'NR==FNR { ref[$1] = $2; n++; next } ($1 in ref) && ref[$1] == $2 { right++ } END { a = right / n; printf "{\\"score\\": %.4f, \\"metrics\\": {\\"accuracy\\": %.4f}}", a, a }' "$REFERENCE_DIR/labels.txt" "$PREDICTIONS_DIR/predictions.txt" > "$OUTPUT_DIR/score.json"`,
].join('; ');

/**
 * Label routing on two real engines and one Redis: host a is the main engine (runc only, zone=a),
 * host b a second engine with gVisor registered beside runc and the label reference=x. Workers run
 * in this process, one per host; the engines' event streams say where each run's containers were.
 */
describe('routing: runs go only to the hosts that can take them', function () {
  // Runs under gVisor's ptrace platform take seconds each on a loaded 2-core machine.
  this.timeout(90_000);
  let stack: Stack;
  let b: TestEngine;
  let reference: string;
  let workerA: StartedWorker;
  let workerB: StartedWorker;
  let watch: ContainerWatch;

  before(async function () {
    this.timeout(180_000); // an engine of its own and the images loaded into it: tens of seconds when loaded
    await buildFixtures();
    await Promise.all([buildFixture('rt-gvisor-model', { script: GVISOR_MODEL }), buildFixture('rt-runc-eval', { script: RUNC_EVALUATOR })]);
    b = await TestEngine.start({ name: 'routing', ...GVISOR_ENGINE });
    await b.loadImages([BASE_IMAGE, fixture('score-json'), fixture('rt-gvisor-model'), fixture('rt-runc-eval')]);
    // The reference as a host folder: the evaluator runs on host b only, and both hosts are this machine.
    reference = mkdtempSync(join(tmpdir(), 'modelrun-routing-ref-'));
    chmodSync(reference, 0o755);
    writeFileSync(join(reference, 'labels.txt'), LABELS_TXT);
    const benchmarks = join(reference, '..', `${reference.split('/').pop()}.yaml`);
    writeFileSync(
      benchmarks,
      [
        'benchmarks:',
        '  - name: sandboxed',
        `    evaluator: { image: "${fixture('rt-runc-eval')}", limits: { timeoutSeconds: 60 } }`,
        `    reference: { hostPath: ${reference} }`,
        '    metrics: [{ name: accuracy, direction: higher }]',
        '    primaryMetric: accuracy',
        '    model: { limits: { timeoutSeconds: 60 } }',
        '    runtime: { model: runsc, evaluator: runc }',
        '',
      ].join('\n'),
    );
    stack = await startStack({ workers: 0, env: { API_TOKENS: TOKEN, RUN_ALLOWED_LABELS: 'reference', BENCHMARKS_FILE: benchmarks } });
    workerA = await stack.startWorker({ WORKER_LABELS: 'zone=a' });
    workerB = await stack.startWorker({ DOCKER_HOST: b.dockerHost, WORKER_LABELS: 'reference=x' });
    watch = await watchContainers(stack.prefix, [
      { name: 'a', docker: await docker() },
      { name: 'b', docker: b.docker },
    ]);
  });
  after(async () => {
    await watch?.stop();
    await stack?.stop();
    await b?.destroy();
    if (reference) {
      rmSync(reference, { recursive: true, force: true });
      rmSync(`${reference}.yaml`, { force: true });
    }
  });

  const submit = async (body: Record<string, unknown>): Promise<RunView> => {
    const res = await stack.http
      .post('/v1/models')
      .set({ Authorization: `Bearer ${TOKEN}` })
      .send(body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body as RunView;
  };
  const view = async (id: string): Promise<RunView> =>
    (
      await stack.http
        .get(`/v1/runs/${id}`)
        .set({ Authorization: `Bearer ${TOKEN}` })
        .expect(200)
    ).body as RunView;
  const enginesOf = (id: string): string[] => [...new Set([...watch.idsFor(id)].map((c) => c.split(':')[0]!))];
  const hostOf = (name: string, id: string): string => (JSON.parse(readFileSync(join(stack.dataDir, 'runs', name, `${id}.json`), 'utf8')) as { host: string }).host;

  it('sends a run that requires reference=x only to the host that has the label, and refuses a label the operator did not allow', async () => {
    const runs: RunView[] = [];
    for (const i of [1, 2, 3]) runs.push(await submit({ image: fixture('score-json'), name: `needs-x-${i}`, requires: { reference: 'x' } }));
    assert.deepEqual(runs[0]!.requires, ['reference=x']);
    for (const r of runs) {
      const done = await stack.waitForRun(r.id, undefined, 60_000);
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.equal(hostOf(r.name, r.id), workerB.hostId, 'recorded as run on host b');
    }
    await watch.stop();
    for (const r of runs) assert.deepEqual(enginesOf(r.id), ['b'], `run ${r.name}'s containers were on host b only`);
    watch = await watchContainers(stack.prefix, [
      { name: 'a', docker: await docker() },
      { name: 'b', docker: b.docker },
    ]);

    const refused = await stack.http
      .post('/v1/models')
      .set({ Authorization: `Bearer ${TOKEN}` })
      .send({ image: fixture('score-json'), name: 'wants-zone', requires: { zone: 'a' } });
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.body), /the label zone may not be required: only reference may be required here \(RUN_ALLOWED_LABELS\)/);
  });

  it('keeps a run no live host can take queued, saying what it waits for, and runs it when a worker of such a host starts', async () => {
    const run = await submit({ image: fixture('score-json'), name: 'needs-y', requires: { reference: 'y' } });
    const waiting = await waitFor(
      'the run to say what it waits for, naming both hosts',
      async () => {
        const v = await view(run.id);
        return v.waitingFor?.includes(workerA.hostId) && v.waitingFor.includes(workerB.hostId) ? v : undefined;
      },
      20_000,
      200,
    );
    assert.equal(waiting.status, 'queued');
    assert.match(waiting.waitingFor!, /^a host with reference=y \(no live host has it; hosts: /);
    assert.ok(waiting.waitingFor!.includes(`${workerA.hostId} (zone=a)`), waiting.waitingFor);
    assert.ok(waiting.waitingFor!.includes(`${workerB.hostId} (reference=x)`), waiting.waitingFor);
    // Both workers have read the routed queues several times since (every 2 s): still queued, never tried.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const still = await view(run.id);
    assert.equal(still.status, 'queued');
    assert.equal(still.attempts ?? 0, 0, 'no worker took it, so no try failed');
    assert.equal(enginesOf(run.id).length, 0, 'no container anywhere');

    // Host a's worker restarts with the label (a deploy that adds it): the run goes there.
    await workerA.close();
    workerA = await stack.startWorker({ WORKER_LABELS: 'zone=a,reference=y' });
    const done = await stack.waitForRun(run.id, undefined, 60_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.waitingFor, undefined);
    assert.equal(hostOf(run.name, run.id), workerA.hostId);
    await watch.stop();
    assert.deepEqual(enginesOf(run.id), ['a']);
    watch = await watchContainers(stack.prefix, [
      { name: 'a', docker: await docker() },
      { name: 'b', docker: b.docker },
    ]);
  });

  it("runs a benchmark's model under gVisor and its evaluator under runc, only on a host whose engine has both", async () => {
    const run = await submit({ image: fixture('rt-gvisor-model'), name: 'sandboxed-model', benchmark: 'sandboxed' });
    assert.deepEqual(run.requires, ['runtime=runc', 'runtime=runsc']);
    const done = await stack.waitForRun(run.id, undefined, 80_000);
    // The model predicts only under gVisor and the evaluator scores only under runc: 0.75 proves both.
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.75);
    assert.equal(hostOf(run.name, run.id), workerB.hostId, 'the runc-only host a never took it');
    await watch.stop();
    assert.deepEqual(enginesOf(run.id), ['b'], 'every container of the run (model, predictions helper, evaluator) on host b');
  });
});
