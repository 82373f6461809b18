import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunView } from '@modelrun/contracts';
import { docker } from '../helpers/docker';
import { type Stack, startStack } from '../helpers/stack';
import { LONG_MODEL, buildLongModel, release } from '../helpers/two-hosts';
import { TestVolume } from '../helpers/tmpfs';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // /metrics is text
  }
  return { status: res.status, body, text };
}

describe('a shared volume that cannot take a record', function () {
  // A run, the fault noticed, then the record written after the volume is back (retries
  // back off up to WORKER_RECORD_RETRY_MAX_MS=1000 here): well under a minute even when loaded.
  this.timeout(60_000);
  let volume: TestVolume;
  let stack: Stack;

  before(() => buildLongModel());
  beforeEach(async () => {
    volume = new TestVolume(16);
    stack = await startStack({ env: { DATA_DIR: volume.dir, WORKER_RECORD_RETRY_MAX_MS: '1000' } });
  });
  afterEach(async () => {
    try {
      volume.writable();
    } catch {
      // already writable
    }
    volume.free();
    await stack?.stop();
    volume.dispose();
  });

  /**
   * A run whose model runs until `finish`: the fault is made while it runs, however long the
   * machine took to get there (a fixed 3 s model could end and be recorded before the fault).
   */
  async function runningRun(name: string): Promise<RunView> {
    const run = await stack.submit(fixture(LONG_MODEL), name);
    await stack.waitForPhase(run.id, 'running', 15_000);
    return run;
  }
  const finish = async (run: RunView): Promise<void> => release(await docker(), stack.prefix, run.id);

  async function recording(id: string, error: RegExp): Promise<RunView> {
    return waitFor(
      'the run to show phase recording',
      async () => {
        const view = (await stack.http.get(`/v1/runs/${id}`)).body as RunView;
        return view.phase === 'recording' ? view : undefined;
      },
      20_000,
    ).then((view) => {
      assert.equal(view.status, 'running', 'a finished run waiting for the volume is not failed');
      assert.match(view.recordingError ?? '', error);
      return view;
    });
  }

  it("keeps a finished run's score while the volume is full, takes no new runs, and records it once freed", async () => {
    const run = await runningRun('full-volume');
    volume.fill();
    await finish(run);
    await recording(run.id, /ENOSPC/);

    // The worker says why it takes no runs; the API says why it is not ready.
    const metricsUrl = stack.workers[0]!.metricsUrl;
    const health = await getJson(`${metricsUrl}/healthz`);
    assert.equal(health.status, 503);
    assert.match(JSON.stringify(health.body), /volume unwritable.*ENOSPC/);
    // Open, so the fault's code and since when; its text (paths, runs) is in the worker's log.
    assert.deepEqual(Object.keys(health.body.volume as object).sort(), ['code', 'since'], JSON.stringify(health.body));
    assert.match((await getJson(`${metricsUrl}/metrics`)).text, /^modelrun_worker_volume_writable 0$/m);
    const ready = await stack.http.get('/readyz');
    assert.equal(ready.status, 503);
    // Open, so a state and a code: the details (worker, paths, runs) go to the API's log.
    assert.deepEqual(ready.body.checks.recording, { ok: false, code: 'volume_refuses_records' });

    // A run submitted now stays queued: the worker has paused taking runs.
    const queued = await stack.submit(fixture('score-json'), 'while-full');
    await waitFor('the metrics to count the pending outcome', async () => (/^modelrun_pending_outcomes 1$/m.test((await getJson(`${metricsUrl}/metrics`)).text) ? true : undefined));
    assert.equal((await stack.http.get(`/v1/runs/${queued.id}`)).body.status, 'queued');

    // A worker starting now refuses to start, saying why (and leaves no probe file behind).
    await assert.rejects(stack.startWorker(), /DATA_DIR .* is not writable: .*ENOSPC/);

    volume.free();
    const done = await stack.waitForRun(run.id, undefined, 20_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.2, 'the real score, kept through the outage');
    assert.equal(done.attempts, 1, 'the model ran once');
    assert.equal((await stack.waitForRun(queued.id, undefined, 20_000)).status, 'succeeded', 'the worker takes runs again');
    await waitFor('the worker to be healthy again', async () => ((await getJson(`${metricsUrl}/healthz`)).status === 200 ? true : undefined));
    assert.equal((await stack.http.get('/readyz')).status, 200);
    assert.deepEqual(readdirSync(join(volume.dir, 'tmp')), [], 'no half-written temp files are left');
  });

  it("keeps a finished run's score while the volume is read-only, and records it once writable", async () => {
    const run = await runningRun('read-only-volume');
    volume.readOnly();
    await finish(run);
    await recording(run.id, /EROFS/);
    assert.equal((await stack.http.get('/readyz')).status, 503);
    volume.writable();
    const done = await stack.waitForRun(run.id, undefined, 20_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.2);
    const log = await stack.http.get(`/v1/runs/${run.id}/logs`);
    assert.equal(log.status, 200, 'its log was kept too');
  });

  it("keeps a failed run's outcome too, never turning it into an infrastructure failure", async () => {
    // Full before the run: the worker has not seen a fault yet, takes the run, and cannot record it.
    volume.fill();
    const run = await stack.submit(fixture('exit-3'), 'fails-while-full');
    await recording(run.id, /ENOSPC/);
    volume.free();
    const done = await stack.waitForRun(run.id, undefined, 20_000);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'exit_code', JSON.stringify(done));
    assert.equal(done.exitCode, 3);
  });
});
