import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunView } from '@modelrun/contracts';
import { explain, modelrun } from '../helpers/cli';
import { docker } from '../helpers/docker';
import { infra } from '../helpers/infra';
import { type Doc, ResponseChecker } from '../helpers/openapi';
import { binaryBody, tarFiles } from '../helpers/tar-files';
import { type Stack, startStack } from '../helpers/stack';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { DETAILS, buildResultsFixtures } from '../fixtures/benchmark-results';
import { fixture } from '../fixtures/images';

const ADMIN = 'results-admin-Vb3Nq8Lx1Tz6Kw0Rj5Hs';

describe("benchmark runs' results: the evaluator's version, kept predictions, detailed results", function () {
  // Three benchmark runs of two busybox containers each, at once: seconds; 60 s bounds a slow engine.
  this.timeout(60_000);
  let stack: Stack;
  let reference: string;
  const tokens: Record<string, string> = { admin: ADMIN };
  const runs: Record<string, RunView> = {};
  const as = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });
  const get = (url: string, who = 'mia') => stack.http.get(url).set(as(who));

  before(async function () {
    // A cold engine builds the fixtures and the reference volume first.
    this.timeout(120_000);
    await infra();
    await Promise.all([buildBenchmarkFixtures(), buildResultsFixtures()]);
    reference = `modelrun-test-ref-results-${process.pid}`;
    await createReferenceVolume(reference);
    const file = writeBenchmarksFile(reference, [
      { name: 'with-details', evaluator: 'bm-eval-details' },
      { name: 'bad-details', evaluator: 'bm-eval-bad-details' },
      { name: 'huge-details', evaluator: 'bm-eval-huge-details' },
    ]);
    stack = await startStack({ workers: 1, env: { BENCHMARKS_FILE: file, API_TOKENS: ADMIN, WORKER_CONCURRENCY: '3' } });
    for (const id of ['mia', 'noah']) {
      assert.equal((await stack.http.post('/v1/users').set(as('admin')).send({ id, role: 'member' })).status, 201);
      const made = await stack.http.post('/v1/tokens').set(as('admin')).send({ user: id, name: 'test' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      tokens[id] = made.body.token as string;
    }
    // Mia's three runs, one per evaluator, at once.
    const submitted = await Promise.all(
      (['with-details', 'bad-details', 'huge-details'] as const).map(async (benchmark) => {
        const res = await stack.http
          .post('/v1/models')
          .set(as('mia'))
          .send({ image: fixture('bm-honest'), name: `honest-${benchmark}`, benchmark });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        return [benchmark, await stack.waitForRun((res.body as RunView).id, undefined, 45_000)] as const;
      }),
    );
    for (const [benchmark, run] of submitted) runs[benchmark] = run;
  });
  after(async () => {
    await stack?.stop();
    if (reference) await removeVolume(reference);
  });

  it("records the evaluator image's identity on every scored run (an image built here: its image id)", async () => {
    const id = (await (await docker()).getImage(fixture('bm-eval-details')).inspect()).Id;
    const run = runs['with-details']!;
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.evaluatorImage, id);
    assert.match(run.evaluatorImage!, /^sha256:[0-9a-f]{64}$/);
    const huge = (await (await docker()).getImage(fixture('bm-eval-huge-details')).inspect()).Id;
    assert.equal(runs['huge-details']!.evaluatorImage, huge, "each benchmark's own evaluator");
  });

  it('keeps the predictions on the volume, downloadable by their owner and operators, a 404 to another member', async () => {
    const run = runs['with-details']!;
    const path = join(stack.dataDir, 'predictions', run.name, `${run.id}.tar`);
    assert.ok(existsSync(path), path);
    assert.equal(run.predictionsBytes, readFileSync(path).length);
    const res = await get(`/v1/runs/${run.id}/predictions`).buffer(true).parse(binaryBody);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/x-tar');
    assert.deepEqual(await tarFiles(res.body as Buffer), { 'predictions.txt': '1 3\n2 0\n3 7\n4 1\n', 'score.json': '{"score": 0.99}\n' }, "the model's /output as the evaluator got it");
    assert.equal((await get(`/v1/runs/${run.id}/predictions`, 'admin')).status, 200);
    const other = await get(`/v1/runs/${run.id}/predictions`, 'noah');
    assert.equal(other.status, 404);
    assert.equal(other.body.error.message, `no run with id ${run.id}`, 'the words of a run that does not exist');
  });

  it('shows the detailed results to the owner only, as the evaluator wrote them', async () => {
    const run = runs['with-details']!;
    assert.equal(run.hasDetails, true);
    assert.equal(run.detailsError, undefined);
    const res = await get(`/v1/runs/${run.id}/details`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, DETAILS);
    // As the OpenAPI document describes it (RunDetails), and so is the run's view with its new fields (Run).
    const checker = new ResponseChecker((await get('/v1/openapi.json')).body as Doc);
    checker.check('get', `/v1/runs/${run.id}/details`, res);
    checker.check('get', `/v1/runs/${run.id}`, await get(`/v1/runs/${run.id}`));
    assert.deepEqual(JSON.parse(readFileSync(join(stack.dataDir, 'details', run.name, `${run.id}.json`), 'utf8')), DETAILS);
    assert.equal((await get(`/v1/runs/${run.id}/details`, 'admin')).status, 200);
    const other = await get(`/v1/runs/${run.id}/details`, 'noah');
    assert.equal(other.status, 404);
    assert.equal(other.body.error.message, `no run with id ${run.id}`);
  });

  it('scores a run whose evaluator wrote invalid details, and says why they were left out', async () => {
    const run = runs['bad-details']!;
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.score, 0.75);
    assert.equal(run.hasDetails, undefined);
    assert.equal(run.detailsError, 'details.json: tables[0].rows[0][1]: must be a string, a number or null');
    assert.ok(!run.detailsError.includes('label'), "never a quote of the evaluator's text");
    assert.ok(!existsSync(join(stack.dataDir, 'details', run.name, `${run.id}.json`)));
    const res = await get(`/v1/runs/${run.id}/details`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.message, `run ${run.id} has no detailed results`);
    assert.ok(run.predictionsBytes! > 0, 'its predictions are kept all the same');
  });

  it('leaves unread a details file over its cap, and still scores the run', async () => {
    const run = runs['huge-details']!;
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.score, 0.75);
    assert.equal(run.detailsError, 'details.json is 293 KiB; the limit is 256 KiB');
    assert.equal(run.hasDetails, undefined);
  });

  it('prints the details from the CLI: modelrun run ID --details', async () => {
    const env = { MODELRUN_URL: stack.api.url, MODELRUN_TOKEN: tokens.mia! };
    const shown = await modelrun(['run', runs['with-details']!.id, '--details'], env);
    assert.equal(shown.status, 0, explain(shown));
    assert.match(shown.stdout, /evaluator:\s+sha256:[0-9a-f]{64}/);
    assert.match(shown.stdout, /per item\nitem\s+right\n1\s+1\n2\s+1\n3\s+1\n4\s+0\n/);
    assert.match(shown.stdout, /note: public part only/);
    const bad = await modelrun(['run', runs['bad-details']!.id, '--details'], env);
    assert.equal(bad.status, 0, explain(bad));
    assert.match(bad.stdout, /no detailed results: details\.json: tables\[0\]\.rows\[0\]\[1\]: must be a string, a number or null/);
  });
});
