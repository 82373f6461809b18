import assert from 'node:assert/strict';
import { type Stack, startStack } from '../helpers/stack';
import { SAMPLE_IMAGE, modelBuild } from './model-build';

/** What model/train.py reports besides the score; the contract asks for the first three. */
const METRICS = ['accuracy', 'f1_macro', 'train_seconds', 'precision_macro', 'recall_macro', 'cv_accuracy', 'eval_seconds', 'total_seconds'];

describe('the sample model, built and run through modelrun', function () {
  // The first build on a machine without a registry assembles the Debian base with debootstrap
  // and downloads about 100 MB of packages: 2-8 minutes. Later builds come from the cache in
  // about a second, and the run itself takes about ten seconds.
  this.timeout(15 * 60_000);
  let stack: Stack;

  before(async () => {
    await modelBuild();
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('trains, scores at least 0.9 on the held-out digits, and reports its metrics and progress', async () => {
    const run = await stack.submit(SAMPLE_IMAGE, 'sample-digits');
    // About ten seconds on one CPU; the margin is for a loaded CI machine.
    const done = await stack.waitForRun(run.id, undefined, 120_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.exitCode, 0);
    assert.ok(done.score !== undefined && done.score >= 0.9, `held-out accuracy ${done.score}`);
    const metrics = done.metrics ?? {};
    for (const name of METRICS) assert.ok(Number.isFinite(metrics[name]), `metric ${name} in ${JSON.stringify(metrics)}`);
    assert.equal(metrics.accuracy, done.score, 'the score is the held-out accuracy');
    assert.ok(metrics.f1_macro! >= 0.9 && metrics.f1_macro! <= 1);
    assert.ok(metrics.train_seconds! > 0);

    const logs = await stack.http.get(`/v1/runs/${run.id}/logs`);
    assert.equal(logs.status, 200);
    assert.match(logs.text, new RegExp(`model sample-digits, run ${run.id}`), 'it read MODEL_NAME and RUN_ID');
    assert.match(logs.text, /cross-validated accuracy/, 'it logs its progress');
    assert.match(logs.text, /wrote \/output\/score\.json/);
  });
});
