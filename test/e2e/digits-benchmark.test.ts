import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchmarkLeaderboard, type RunView } from '@modelrun/contracts';
import { type Stack, startStack } from '../helpers/stack';
import { buildBenchmarkFixtures } from '../fixtures/benchmark';
import { fixture } from '../fixtures/images';
import { ROOT, SAMPLE_IMAGE, modelBuild } from './model-build';

describe('the digits benchmark: the sample model scored by the digits evaluator', function () {
  // The first model:build on a machine without a registry assembles the base image (minutes);
  // later ones come from the cache. Each benchmark run is a few seconds of Python twice.
  this.timeout(15 * 60_000);
  let stack: Stack;

  before(async () => {
    const built = await modelBuild();
    assert.match(built, /built modelrun\/digits-evaluator:latest and filled volume modelrun-digits-reference/);
    await buildBenchmarkFixtures();
    stack = await startStack({ env: { BENCHMARKS_FILE: join(ROOT, 'model', 'benchmarks.yaml') } });
  });
  after(async () => {
    await stack?.stop();
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
