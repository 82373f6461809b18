import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import http from 'node:http';
import { watchContainers } from '../helpers/container-watch';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

/** Prometheus's own checker: the exposition must be what a real scraper accepts. */
function promtool(text: string): void {
  let bin: string;
  try {
    bin = execFileSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('promtool is not installed: apt-get install prometheus (it ships promtool)');
  }
  const res = spawnSync(bin, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  // Exit 0: valid. Lint findings (exit 3) are style advice; only a parse error (1) is invalid.
  assert.ok(res.status === 0 || res.status === 3, `promtool rejected the metrics: ${res.stdout}${res.stderr}`);
}

function metricValue(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (!labels && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

describe('operations', function () {
  // Three worker processes starting (tsx compiles each) and a batch of 12 runs across them.
  this.timeout(120_000);

  describe('three worker processes on one Redis', () => {
    let stack: Stack;
    const workers: AppProcess[] = [];
    before(async () => {
      stack = await startStack({ workers: 0 });
      for (let i = 0; i < 3; i++) workers.push(spawnApp('worker', { ...stack.env, WORKER_CONCURRENCY: '2' }));
      await Promise.all(workers.map((w) => w.waitForLog('worker started', 30_000)));
    });
    after(async () => {
      for (const w of workers) {
        w.kill('SIGKILL');
        await w.exited;
      }
      await stack?.stop();
    });

    it('share a batch of runs: each done once, in one container, all finished', async () => {
      const watch = await watchContainers(stack.prefix);
      const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => stack.submit(fixture('score-json'), `batch-${i % 4}`)));
      for (const run of runs) assert.equal((await stack.waitForRun(run.id, undefined, 60_000)).status, 'succeeded');
      await watch.stop();
      for (const run of runs) {
        assert.equal(watch.idsFor(run.id).size, 1, `run ${run.id} had one container`);
        const recordedBy = workers.filter((w) => w.lines.some((l) => l.message === 'run recorded' && l.runId === run.id));
        assert.equal(recordedBy.length, 1, `run ${run.id} was recorded by exactly one worker`);
      }
      const perWorker = workers.map((w) => w.lines.filter((l) => l.message === 'run recorded').length);
      assert.ok(
        perWorker.every((n) => n > 0),
        `every worker took part: ${perWorker.join(', ')}`,
      );
    });
  });

  describe('metrics, dashboard, readiness and logs', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack();
    });
    after(async () => {
      await stack?.stop();
    });

    it('counts runs and requests, in an exposition promtool accepts', async () => {
      const runs = [await stack.submit(fixture('score-json'), 'metered'), await stack.submit(fixture('exit-3'), 'metered')];
      for (const r of runs) await stack.waitForRun(r.id);
      const worker = await get(`${stack.workers[0]!.metricsUrl}/metrics`);
      promtool(worker);
      assert.equal(metricValue(worker, 'modelrun_runs_started_total'), 2);
      assert.equal(metricValue(worker, 'modelrun_runs_finished_total', 'status="succeeded",reason="none"'), 1);
      assert.equal(metricValue(worker, 'modelrun_runs_finished_total', 'status="failed",reason="exit_code"'), 1);
      assert.equal(metricValue(worker, 'modelrun_run_duration_seconds_count', 'status="succeeded"'), 1);
      assert.equal(metricValue(worker, 'modelrun_run_queue_wait_seconds_count'), 2);
      assert.equal(metricValue(worker, 'modelrun_container_start_seconds_count'), 2);
      const api = (await stack.http.get('/metrics')).text;
      promtool(api);
      assert.equal(metricValue(api, 'modelrun_queue_jobs', 'state="completed"'), 1);
      assert.equal(metricValue(api, 'modelrun_queue_jobs', 'state="failed"'), 1);
      assert.equal(metricValue(api, 'modelrun_redis_up'), 1);
      assert.ok((metricValue(api, 'modelrun_http_request_duration_seconds_count', 'route="/v1/models/",method="POST",status="202"') ?? 0) >= 2);
      assert.equal((await get(`${stack.workers[0]!.metricsUrl}/healthz`)).includes('"ok"'), true);
    });

    it('serves the Bull Board dashboard and its queue data', async () => {
      const page = await stack.http.get('/admin/queues');
      assert.equal(page.status, 200);
      const queues = await stack.http.get('/admin/queues/api/queues');
      assert.equal(queues.status, 200);
      assert.ok(JSON.stringify(queues.body).includes('runs'), 'the runs queue is listed');
    });

    it('is ready only while the volume is readable', async () => {
      assert.equal((await stack.http.get('/readyz')).status, 200);
      renameSync(stack.dataDir, `${stack.dataDir}.away`);
      try {
        const res = await stack.http.get('/readyz');
        assert.equal(res.status, 503);
        assert.equal(res.body.checks.volume.ok, false);
        assert.equal(res.body.checks.redis.ok, true);
      } finally {
        renameSync(`${stack.dataDir}.away`, stack.dataDir);
      }
      assert.equal((await stack.http.get('/readyz')).status, 200);
    });

    it("returns a running run's output so far, and follows it live until the run ends", async () => {
      const run = await stack.submit(fixture('six-seconds'), 'followed');
      await waitFor(
        'the first line of output',
        async () => {
          const res = await stack.http.get(`/v1/runs/${run.id}/logs`);
          return res.text.includes('started') ? true : undefined;
        },
        30_000,
      ); // a container start on a loaded engine first
      const sofar = await stack.http.get(`/v1/runs/${run.id}/logs`);
      assert.equal(sofar.headers['x-run-status'], 'running');
      assert.doesNotMatch(sofar.text, /finished/);
      const followed = await stack.http
        .get(`/v1/runs/${run.id}/logs?follow=true`)
        .buffer(true)
        .parse((res, cb) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => cb(null, text));
        });
      assert.equal(followed.status, 200);
      assert.match(followed.body as string, /started\s+finished/);
      const done = (await stack.http.get(`/v1/runs/${run.id}`)).body;
      assert.equal(done.status, 'succeeded', 'the stream ended when the run did');
      const stored = await stack.http.get(`/v1/runs/${run.id}/logs`);
      assert.equal(stored.text, 'started\nfinished\n');
    });
  });
});

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
