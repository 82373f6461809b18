import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BenchmarkLeaderboard, DetailsFile, type RunView } from '@modelrun/contracts';
import { docker } from '../helpers/docker';
import { binaryBody, tarFiles } from '../helpers/tar-files';
import { type Stack, startStack } from '../helpers/stack';
import { buildBenchmarkFixtures } from '../fixtures/benchmark';
import { fixture } from '../fixtures/images';
import { ROOT, SAMPLE_IMAGE, modelBuild } from './model-build';

describe('the digits benchmark: the sample model scored by the digits evaluator', function () {
  // The first model:build on a machine without a registry assembles the base image (minutes);
  // later ones come from the cache. Each benchmark run is a few seconds of Python twice.
  this.timeout(15 * 60_000);
  let stack: Stack;
  let dir: string;

  before(async () => {
    const built = await modelBuild();
    assert.match(built, /built modelrun\/digits-evaluator:latest and filled volume modelrun-digits-reference/);
    await buildBenchmarkFixtures();
    // The sample benchmark as shipped, given a season around now: a development phase open for
    // the next hour, then a final one (phases are absolute times, so the shipped file has none).
    const sample = parseYaml(readFileSync(join(ROOT, 'model', 'benchmarks.yaml'), 'utf8')) as { benchmarks: Record<string, unknown>[] };
    const at = (hours: number): string => new Date(Date.now() + hours * 3600_000).toISOString();
    sample.benchmarks[0]!.phases = [
      { name: 'development', start: at(-1), end: at(1) },
      { name: 'final', start: at(1), end: at(2) },
    ];
    dir = mkdtempSync(join(tmpdir(), 'modelrun-digits-season-'));
    writeFileSync(join(dir, 'benchmarks.json'), JSON.stringify(sample));
    stack = await startStack({ env: { BENCHMARKS_FILE: join(dir, 'benchmarks.json') } });
  });
  after(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = async (image: string, name: string): Promise<RunView> => {
    const res = await stack.http.post('/v1/models').send({ image, name, benchmark: 'digits' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    // Two Python steps of a few seconds each; the margin is for a loaded CI machine.
    return stack.waitForRun(res.body.id, undefined, 180_000);
  };

  it('gives the honest model its real accuracy, from the evaluator', async () => {
    const done = await run(SAMPLE_IMAGE, 'svm-digits');
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.ok(done.score! >= 0.9 && done.score! <= 1, `accuracy ${done.score}`);
    assert.deepEqual(Object.keys(done.metrics ?? {}).sort(), ['accuracy', 'error_rate', 'f1_macro']);
    assert.equal(done.metrics!.accuracy, done.score);
    assert.ok(Math.abs(done.metrics!.error_rate! - (1 - done.score!)) < 1e-9);
    const logs = await stack.http.get(`/v1/runs/${done.id}/logs`);
    assert.match(logs.text, /benchmark digits: training on 1347 images, predicting 450/);
    assert.match(logs.text, /wrote \/output\/predictions\.csv: 450 predictions/);
    assert.match(readFileSync(join(stack.dataDir, 'logs', 'svm-digits', `${done.id}.evaluator.log`), 'utf8'), /scored 450 predictions/);
    const board = BenchmarkLeaderboard.parse((await stack.http.get('/v1/benchmarks/digits/leaderboard')).body);
    assert.equal(board.entries[0]?.name, 'svm-digits');
  });

  it('takes a run in the open phase, scores a public and a private part, keeps the predictions, and shows details from the public part only', async () => {
    const done = await run(SAMPLE_IMAGE, 'svm-digits-parts');
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    // Both parts scored: the run's score is the public part's; the private part's is in score.json's private object.
    const evaluatorLog = readFileSync(join(stack.dataDir, 'logs', 'svm-digits-parts', `${done.id}.evaluator.log`), 'utf8');
    const parts = /public part 225 images, accuracy (0\.\d{4}|1\.0000); private part 225 images, accuracy (0\.\d{4}|1\.0000)/.exec(evaluatorLog);
    assert.ok(parts, evaluatorLog);
    assert.equal(done.score!.toFixed(4), parts[1], "the run's score is the public part's");
    assert.ok(Number(parts[2]) >= 0.9, `private accuracy ${parts[2]}`);
    // The API has no tokens here, so its caller may see the private part too.
    assert.equal(done.privateScore!.toFixed(4), parts[2], "the run's private score is the private part's");
    assert.deepEqual(Object.keys(done.privateMetrics ?? {}).sort(), ['accuracy', 'error_rate', 'f1_macro']);
    // Submitted in the open phase, and ranked on its board; the next phase's board is empty.
    assert.equal(done.benchmarkPhase, 'development');
    const listed = (await stack.http.get('/v1/benchmarks/digits')).body as { openPhase?: { name: string; secondsLeft: number }; nextPhase?: { name: string } };
    assert.equal(listed.openPhase?.name, 'development');
    assert.ok(listed.openPhase!.secondsLeft > 0 && listed.openPhase!.secondsLeft <= 3600);
    assert.equal(listed.nextPhase?.name, 'final');
    const inPhase = BenchmarkLeaderboard.parse((await stack.http.get('/v1/benchmarks/digits/leaderboard?phase=development')).body);
    assert.ok(inPhase.entries.some((e) => e.name === 'svm-digits-parts'));
    assert.equal(BenchmarkLeaderboard.parse((await stack.http.get('/v1/benchmarks/digits/leaderboard?phase=final')).body).total, 0);
    // The private board ranks it by the private part.
    const privateBoard = BenchmarkLeaderboard.parse((await stack.http.get('/v1/benchmarks/digits/leaderboard?board=private')).body);
    const row = privateBoard.entries.find((e) => e.name === 'svm-digits-parts');
    assert.equal(row?.metrics.accuracy?.toFixed(4), parts[2]);
    assert.equal(done.evaluatorImage, (await (await docker()).getImage('modelrun/digits-evaluator:latest').inspect()).Id, 'the evaluator image that scored it (built here: its image id)');

    // The kept predictions: the model's predictions.csv, whose 450 indexes give the split (even positions public).
    const kept = await stack.http.get(`/v1/runs/${done.id}/predictions`).buffer(true).parse(binaryBody);
    assert.equal(kept.status, 200);
    const csv = (await tarFiles(kept.body as Buffer))['predictions.csv']!;
    const order = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => Number(line.split(',')[0]))
      .sort((a, b) => a - b);
    assert.equal(order.length, 450);
    const privateIndexes = new Set(order.filter((_, i) => i % 2 === 1));

    const details = DetailsFile.parse((await stack.http.get(`/v1/runs/${done.id}/details`)).body);
    const [perClass, errors] = details.tables;
    assert.deepEqual(perClass!.columns, ['class', 'support', 'precision', 'recall', 'F1']);
    assert.deepEqual(
      perClass!.rows.map((r) => r[0]),
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      'ten classes',
    );
    assert.equal(
      perClass!.rows.reduce((n, r) => n + (r[1] as number), 0),
      225,
      'supports add up to the public part',
    );
    assert.deepEqual(errors!.columns, ['index', 'true', 'predicted']);
    assert.ok(errors!.rows.length <= 50);
    for (const [index] of errors!.rows) assert.ok(!privateIndexes.has(index as number), `image ${index} is in the private part`);
    assert.equal(Math.round((1 - done.score!) * 225), Number(/^(\d+) of the 225 public/.exec(details.notes![0]!)![1]), 'the misclassified count is the public error rate');
  });

  it('fails an image that writes {"score": 1.0} and no predictions', async () => {
    const done = await run(fixture('bm-cheat'), 'cheater');
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.equal(done.reason, 'bad_output');
    assert.match(done.error!, /the evaluator rejected the predictions: no predictions\.csv/);
    assert.equal(done.score, undefined);
  });

  it('shows an image that looks for /input/reference nothing there', async () => {
    const done = await run(fixture('bm-peek'), 'peeker');
    const logs = await stack.http.get(`/v1/runs/${done.id}/logs`);
    assert.match(logs.text, /no reference here/);
    // Its guesses are not in the evaluator's format either: rejected, never scored from the labels.
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'bad_output');
  });
});
