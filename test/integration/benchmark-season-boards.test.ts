import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BenchmarkLeaderboard, type BenchmarkList, type RunRecord, type RunView } from '@modelrun/contracts';
import { VolumeLayout } from '@modelrun/store';
import { explain, modelrun } from '../helpers/cli';
import { infra } from '../helpers/infra';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { createReferenceVolume, removeVolume } from '../fixtures/benchmark';
import { PRIVATE_FIXTURES, buildPrivateFixtures } from '../fixtures/benchmark-private';
import { buildFixture, fixture } from '../fixtures/images';
import { succeededRecord } from '../fixtures/records';

const HOUR = 3_600_000;
/** The same evaluator as pb-eval, built again as another image (another id): the "fixed" evaluator. */
const EVAL_V2 = { script: `${PRIVATE_FIXTURES['pb-eval'].script} # v2` };

/** A benchmark whose whole board ranks each model's last run, and whose two phases (one past, one open) rank by `selected`, one run each. */
function writeFile(dir: string, reference: string, evaluator: string, now: number): string {
  const iso = (t: number) => new Date(t).toISOString();
  const path = join(dir, `benchmarks-${evaluator}.yaml`);
  writeFileSync(
    path,
    `benchmarks:
  - name: sb
    evaluator: { image: "${fixture(evaluator)}", limits: { timeoutSeconds: 60 } }
    reference: { volume: ${reference} }
    metrics: [{ name: accuracy, direction: higher }, { name: error_rate, direction: lower }]
    primaryMetric: accuracy
    model: { limits: { timeoutSeconds: 60 } }
    board: { rule: last }
    phases:
      - { name: early, start: "${iso(now - 48 * HOUR)}", end: "${iso(now - 24 * HOUR)}", board: { rule: selected, selectLimit: 1 } }
      - { name: open, start: "${iso(now - HOUR)}", end: "${iso(now + 24 * HOUR)}", board: { rule: selected, selectLimit: 1 } }
`,
  );
  return path;
}

/**
 * Issue 19's season boards: a board rule per phase (and its selection limit counted per phase),
 * which entries an older evaluator scored (after a re-score by another image), and a selected run
 * whose record is deleted. Three real runs (busybox model and evaluator), one record written for
 * the past phase, one re-score.
 */
describe('benchmarks: a board rule per phase, older evaluators, deleted selections (issue 19)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let reference: string;
  let dir: string;
  let layout: VolumeLayout;
  const now = Date.now();
  const runs: Record<string, RunView> = {};

  before(async function () {
    this.timeout(120_000);
    await infra();
    await Promise.all([buildPrivateFixtures(), buildFixture('sb-eval-v2', EVAL_V2)]);
    reference = `modelrun-test-ref-sb-${process.pid}`;
    await createReferenceVolume(reference);
    dir = mkdtempSync(join(tmpdir(), 'modelrun-season-boards-'));
    // A rescan every second: the index notices the record written for the past phase, and the one deleted.
    stack = await startStack({
      workers: 1,
      env: { BENCHMARKS_FILE: writeFile(dir, reference, 'pb-eval', now), ALLOWED_IMAGES: 'modelrun-test/**', WORKER_CONCURRENCY: '3', INDEX_RESCAN_SECONDS: '1' },
    });
    layout = new VolumeLayout(stack.dataDir);
    // m: lucky (0.9 public, 0.5 private), then steady (0.8, 0.8); n: other (0.85, 0.7). All in the open phase.
    for (const [key, image, name] of [
      ['lucky', 'pb-lucky', 'm'],
      ['steady', 'pb-steady', 'm'],
      ['other', 'pb-other', 'n'],
    ] as const) {
      const res = await stack.http.post('/v1/models').send({ image: fixture(image), name, benchmark: 'sb' });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      runs[key] = res.body as RunView;
    }
    for (const run of Object.values(runs)) assert.equal((await stack.waitForRun(run.id, undefined, 45_000)).status, 'succeeded');
    // m's run of the past phase: a record like lucky's, admitted then.
    const like = JSON.parse(readFileSync(layout.recordPath('m', runs.lucky!.id), 'utf8')) as RunRecord;
    const at = now - 36 * HOUR;
    const early = succeededRecord('m', at, {
      benchmark: 'sb',
      benchmarkPhase: 'early',
      score: 0.6,
      metrics: { accuracy: 0.6, error_rate: 0.4 },
      privateScore: 0.6,
      privateMetrics: { accuracy: 0.6, error_rate: 0.4 },
      evaluatorImage: like.evaluatorImage!,
    });
    mkdirSync(dirname(layout.recordPath('m', early.id)), { recursive: true });
    writeFileSync(layout.recordPath('m', early.id), JSON.stringify(early));
    runs.early = early as RunView;
    await waitFor('the index to read the past phase record', async () => ((await stack.http.get(`/v1/runs/${early.id}`)).status === 200 ? true : undefined));
  });
  after(async () => {
    await stack?.stop();
    if (reference) await removeVolume(reference);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const board = async (query: string) => {
    const res = await stack.http.get(`/v1/benchmarks/sb/leaderboard?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return BenchmarkLeaderboard.parse(res.body);
  };
  /** Each row's model, run and primary metric. */
  const rows = async (query: string) => (await board(query)).entries.map((e) => [e.name, e.bestRun.id, e.metrics.accuracy]);
  const id = (key: string) => runs[key]!.id;
  const select = (key: string) => stack.http.post(`/v1/runs/${id(key)}/selection`);

  it("shows each phase's rule, and ranks a phase's board by it (the whole board by the benchmark's)", async () => {
    const listed = (await stack.http.get('/v1/benchmarks')).body as BenchmarkList;
    const sb = listed.benchmarks.find((b) => b.name === 'sb')!;
    assert.deepEqual(sb.board, { rule: 'last' });
    assert.deepEqual(
      sb.phases?.map((p) => [p.name, p.board]),
      [
        ['early', { rule: 'selected', selectLimit: 1 }],
        ['open', { rule: 'selected', selectLimit: 1 }],
      ],
    );
    // The whole board: each model's last run (m: steady, its latest).
    assert.deepEqual(await rows(''), [
      ['n', id('other'), 0.85],
      ['m', id('steady'), 0.8],
    ]);
    // The open phase's public board under `selected`: each model's best public run (m: lucky).
    assert.deepEqual(await rows('phase=open'), [
      ['m', id('lucky'), 0.9],
      ['n', id('other'), 0.85],
    ]);
    assert.deepEqual(await rows('phase=early'), [['m', id('early'), 0.6]]);
  });

  it("counts a model's selection limit per phase", async () => {
    assert.equal((await select('steady')).status, 200);
    const over = await select('lucky');
    assert.equal(over.status, 409, JSON.stringify(over.body));
    assert.equal(over.body.error.code, 'selection_limit');
    assert.deepEqual(over.body.error.selectedRuns, [id('steady')]);
    // m's one place in the past phase is its own.
    const early = await select('early');
    assert.equal(early.status, 200, JSON.stringify(early.body));
    assert.deepEqual(await rows('phase=open&board=private'), [
      ['m', id('steady'), 0.8],
      ['n', id('other'), 0.7],
    ]);
    assert.deepEqual(await rows('phase=early&board=private'), [['m', id('early'), 0.6]]);
  });

  it('marks the entries an older evaluator scored once a run is re-scored by a new image; the API and the CLI say so', async () => {
    const before = await board('');
    const v1 = before.currentEvaluator!;
    assert.match(v1 ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      before.entries.map((e) => [e.name, e.olderEvaluator, e.bestRun.evaluatorImage]),
      [
        ['n', false, v1],
        ['m', false, v1],
      ],
    );
    // The operator fixes the evaluator: the worker restarts on the new image and n's run is re-scored.
    await stack.workers.shift()!.close('evaluator changed');
    await stack.startWorker({ BENCHMARKS_FILE: writeFile(dir, reference, 'sb-eval-v2', now) });
    const res = await stack.http.post(`/v1/runs/${id('other')}/rescore`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const after = await waitFor(
      "n's run re-scored",
      async () => {
        const b = await board('');
        return b.currentEvaluator !== v1 ? b : undefined;
      },
      45_000,
      200,
    );
    const v2 = after.currentEvaluator!;
    assert.match(v2, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      after.entries.map((e) => [e.name, e.olderEvaluator, e.bestRun.evaluatorImage]),
      [
        ['n', false, v2],
        ['m', true, v1],
      ],
    );
    // The open phase's boards too, public and private; the past phase's run was scored by v1 as well.
    for (const q of ['phase=open', 'phase=open&board=private']) {
      assert.deepEqual(
        (await board(q)).entries.map((e) => [e.name, e.olderEvaluator]).sort(),
        [
          ['m', true],
          ['n', false],
        ],
        q,
      );
    }
    assert.deepEqual(
      (await board('phase=early')).entries.map((e) => e.olderEvaluator),
      [true],
    );
    const cli = await modelrun(['leaderboard', 'sb'], { MODELRUN_URL: stack.api.url });
    assert.equal(cli.status, 0, explain(cli));
    assert.match(cli.stdout, /EVALUATOR/);
    assert.match(cli.stdout, new RegExp(`\\bm\\b.*older ${v1.slice(7, 19)}`));
    assert.match(cli.stdout, /\bn\b.*current/);
    assert.match(cli.stdout, new RegExp(`older: scored by an older evaluator than the current ${v2.slice(7, 19)}; modelrun rescore --benchmark sb to update`));
  });

  it('no longer counts or shows a selected run whose record was deleted', async () => {
    // An operator deletes the record of m's selected run in the open phase.
    rmSync(layout.recordPath('m', id('steady')));
    assert.equal((await stack.http.get(`/v1/runs/${id('steady')}`)).status, 404);
    // The private board falls back to m's best public run once the index's rescan has dropped the run.
    const privateBoard = await waitFor('the index to drop the deleted record', async () => {
      const r = await rows('phase=open&board=private');
      return r.some(([, run]) => run === id('steady')) ? undefined : r;
    });
    assert.deepEqual(privateBoard, [
      ['n', id('other'), 0.7],
      ['m', id('lucky'), 0.5],
    ]);
    // Its place is free: lucky can be selected (the limit is 1).
    const chosen = await select('lucky');
    assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
    assert.equal(chosen.body.selected, true);
    const over = await select('early');
    assert.equal(over.status, 200, 'the past phase counts on its own (and early is already selected)');
  });
});
