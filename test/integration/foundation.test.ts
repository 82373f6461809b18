import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunView } from '@modelrun/contracts';
import { containersOf } from '../helpers/docker';
import { watchContainers } from '../helpers/container-watch';
import { waitFor } from '../helpers/wait';
import { type Stack, startStack } from '../helpers/stack';
import { fixture } from '../fixtures/images';

describe('a model image goes in, its score comes out', function () {
  // First use builds the fixture images and starts Redis: a few seconds on a cold machine.
  this.timeout(60_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('answers a submission with 202, the queued run and its Location', async () => {
    const res = await stack.http.post('/v1/models').send({ image: fixture('score-json'), name: 'digits-logreg' });
    assert.equal(res.status, 202);
    assert.equal(res.headers.location, `/v1/runs/${res.body.id}`);
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.body.name, 'digits-logreg');
    assert.equal(res.body.image, fixture('score-json'));
    assert.equal(res.body.status, 'queued');
    const done = await stack.waitForRun(res.body.id);
    assert.equal(done.status, 'succeeded');
  });

  it('records the score and metrics from score.json, on the volume and through the API', async () => {
    const run = await stack.submit(fixture('score-json'), 'json-scorer');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.93);
    assert.deepEqual(done.metrics, { accuracy: 0.93, loss: 0.08 });
    assert.equal(done.exitCode, 0);
    for (const t of [done.createdAt, done.startedAt, done.finishedAt]) assert.ok(t && !Number.isNaN(Date.parse(t)), `timestamp ${t}`);
    assert.ok(Date.parse(done.createdAt) <= Date.parse(done.startedAt!) && Date.parse(done.startedAt!) <= Date.parse(done.finishedAt!));
    const onDisk = JSON.parse(readFileSync(join(stack.dataDir, 'runs', 'json-scorer', `${run.id}.json`), 'utf8'));
    assert.equal(onDisk.score, 0.93);
    assert.equal(onDisk.status, 'succeeded');
  });

  it('gives the model MODEL_NAME and RUN_ID, and keeps its output', async () => {
    const run = await stack.submit(fixture('score-json'), 'env-check');
    await stack.waitForRun(run.id);
    const logs = await stack.http.get(`/v1/runs/${run.id}/logs`);
    assert.equal(logs.status, 200);
    assert.match(logs.text, new RegExp(`training on env-check run ${run.id}`));
  });

  it('accepts the plain score file of images written for the original design', async () => {
    const run = await stack.submit(fixture('score-plain'), 'legacy-scorer');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.77);
    assert.equal(done.metrics, undefined);
  });

  it('shows a run move from queued through running to succeeded', async () => {
    const run = await stack.submit(fixture('short-sleep'), 'watched');
    const seen: string[] = [run.status];
    let running: RunView | undefined;
    // short-sleep runs for 3 s: polling every 50 ms sees each state many times.
    for (let i = 0; i < 400 && seen.at(-1) !== 'succeeded'; i++) {
      const res = await stack.http.get(`/v1/runs/${run.id}`);
      if (res.body.status !== seen.at(-1)) seen.push(res.body.status);
      if (res.body.status === 'running' && res.body.phase === 'running') running = res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(seen, ['queued', 'running', 'succeeded']);
    assert.ok(running?.startedAt, 'a running run shows when it started');
  });

  it('answers GET /v1/runs/{id}?wait=N when the run ends, or after N seconds', async () => {
    const run = await stack.submit(fixture('short-sleep'), 'waited-for');
    let t = Date.now();
    const early = await stack.http.get(`/v1/runs/${run.id}?wait=0.5`);
    assert.ok(['queued', 'running'].includes(early.body.status), early.body.status);
    assert.ok(Date.now() - t >= 400, 'it waited the half second');
    t = Date.now();
    const done = await stack.http.get(`/v1/runs/${run.id}?wait=20`);
    assert.equal(done.body.status, 'succeeded');
    assert.equal(done.body.score, 0.61);
    // short-sleep runs 3 s: answered when it ended (succeeded, above), well before the 20 s it
    // may wait. 15 s leaves a loaded engine room for the container's start and the record.
    assert.ok(Date.now() - t < 15_000, `took ${Date.now() - t} ms`);
    assert.equal((await stack.http.get(`/v1/runs/${run.id}?wait=61`)).status, 400);
  });

  it('fails a run that exits non-zero with reason exit_code and the code', async () => {
    const run = await stack.submit(fixture('exit-3'), 'crasher');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'exit_code');
    assert.equal(done.exitCode, 3);
    assert.match(done.error!, /exited with code 3/);
    const logs = await stack.http.get(`/v1/runs/${run.id}/logs`);
    assert.match(logs.text, /failing on purpose/);
  });

  it('fails a run that exits 0 without a score with reason bad_output, saying so', async () => {
    const run = await stack.submit(fixture('no-score'), 'forgetful');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'bad_output');
    assert.equal(done.exitCode, 0);
    assert.match(done.error!, /wrote no score.*\/output\/score\.json/);
  });

  it('fails a run whose score.json is not JSON with reason bad_output, saying where', async () => {
    const run = await stack.submit(fixture('bad-json'), 'garbled');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.reason, 'bad_output');
    assert.match(done.error!, /score\.json is not valid JSON/);
  });

  it('runs an image with a non-root user that owns its /output', async () => {
    const run = await stack.submit(fixture('nonroot-with-output'), 'non-root');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.42);
    assert.match((await stack.http.get(`/v1/runs/${run.id}/logs`)).text, /^10001$/m);
  });

  it('tells the author of a non-root image without its own /output why no score was written', async () => {
    const run = await stack.submit(fixture('nonroot-no-output'), 'non-root-broken');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.reason, 'bad_output');
    assert.match(done.error!, /wrote no score.*\/output belongs to uid 0 with mode 755 and the image runs as user "10001:10001".*owned by that user in the Dockerfile/);
    const again = await stack.submit(fixture('no-score'), 'root-no-score');
    assert.doesNotMatch((await stack.waitForRun(again.id)).error!, /belongs to uid/, 'no ownership hint for a root image');
  });

  it('refuses an image that ships files in /output, naming them', async () => {
    const run = await stack.submit(fixture('ships-output'), 'stale-score');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'bad_output');
    assert.match(done.error!, /already has files in \/output \(score\.json\)/);
    assert.equal(done.startedAt, undefined, 'it never ran');
  });

  it('fails a run whose registry cannot be reached with reason infrastructure, after its retries', async () => {
    // Nothing listens on port 1: the pull fails as an unreachable registry does, here or anywhere.
    // (image_not_found and registry_auth, from a real registry: private-registry.test.ts.)
    const run = await stack.submit('127.0.0.1:1/modelrun-test/does-not-exist:1.0', 'ghost');
    const done = await stack.waitForRun(run.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'infrastructure', JSON.stringify(done));
    assert.equal(done.attemptErrors?.length, 3, `RUN_ATTEMPTS=3 in the test stack: ${JSON.stringify(done)}`);
    assert.equal(done.attempts, 3);
    assert.match(done.error!, /after 3 attempts/);
    assert.match(done.error!, /127\.0\.0\.1:1\/modelrun-test\/does-not-exist:1\.0/);
    assert.match(done.error!, /connection refused/);
  });

  it('lists every model with its latest run and best score, and one model with all its runs', async () => {
    const first = await stack.submit(fixture('score-plain'), 'board-a');
    await stack.waitForRun(first.id);
    const second = await stack.submit(fixture('score-json'), 'board-a');
    await stack.waitForRun(second.id);
    const failed = await stack.submit(fixture('exit-3'), 'board-a');
    await stack.waitForRun(failed.id);
    const other = await stack.submit(fixture('score-plain'), 'board-b');
    await stack.waitForRun(other.id);

    const list = await stack.http.get('/v1/models');
    assert.equal(list.status, 200);
    const byName = new Map(list.body.models.map((m: { name: string }) => [m.name, m]));
    const a = byName.get('board-a') as { runCount: number; latestRun: RunView; bestScore: number; bestRun: RunView };
    assert.equal(a.runCount, 3);
    assert.equal(a.latestRun.id, failed.id);
    assert.equal(a.latestRun.status, 'failed');
    assert.equal(a.bestScore, 0.93);
    assert.equal(a.bestRun.id, second.id);
    // Sorted by best score, highest first.
    const scores = list.body.models.map((m: { bestScore?: number }) => m.bestScore ?? -1);
    assert.deepEqual(
      scores,
      [...scores].sort((x: number, y: number) => y - x),
    );

    const one = await stack.http.get('/v1/models/board-a');
    assert.equal(one.status, 200);
    assert.deepEqual(
      one.body.runs.map((r: RunView) => r.id),
      [failed.id, second.id, first.id],
    );
  });

  it('answers 404 for a run or model it does not know', async () => {
    const run = await stack.http.get('/v1/runs/01900000-0000-7000-8000-000000000000');
    assert.equal(run.status, 404);
    assert.equal(run.body.error.code, 'not_found');
    assert.equal((await stack.http.get('/v1/runs/not-a-run-id')).status, 404);
    assert.equal((await stack.http.get('/v1/models/nobody-here')).status, 404);
  });

  it('leaves no container behind, whether the run succeeds or fails', async () => {
    const watch = await watchContainers(stack.prefix);
    const runs = [await stack.submit(fixture('score-json'), 'tidy'), await stack.submit(fixture('exit-3'), 'tidy')];
    for (const run of runs) await stack.waitForRun(run.id);
    // Containers are removed just after their run is recorded, off the run's critical path.
    await waitFor('no container left', async () => ((await containersOf(stack.prefix)).length === 0 ? true : undefined), 10_000);
    await watch.stop();
    for (const run of runs) {
      const actions = watch.eventsFor(run.id).map((e) => e.action);
      assert.ok(actions.includes('create') && actions.at(-1) === 'destroy', `run ${run.id}: ${actions.join(',')}`);
    }
  });
});
