import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Queue } from 'bullmq';
import request from 'supertest';
import { type StartedApi, startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { RUN_QUEUE } from '@modelrun/contracts';
import { RecordStore, ResultsStore } from '@modelrun/store';
import { rescorePendingKey, retentionLockKey } from '../../apps/api/src/services/retention';
import { succeededRecord } from '../fixtures/records';
import { testLogger } from '../helpers/logger';
import { testRedis } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';

const DAY = 86_400_000;
const KINDS = ['predictions', 'logs', 'details', 'records'] as const;

/** `modelrun_retention_<what>{kind="<kind>"}` from an API's /metrics. */
async function metric(api: StartedApi, what: string, kind?: string): Promise<number | undefined> {
  const text = (await request(api.url).get('/metrics').expect(200)).text;
  const line = text.split('\n').find((l) => l.startsWith(`modelrun_retention_${what}${kind ? `{kind="${kind}"}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

async function runIds(api: StartedApi, model: string): Promise<string[]> {
  const res = await request(api.url).get(`/v1/models/${model}`);
  return res.status === 404 ? [] : (res.body.runs as { id: string }[]).map((r) => r.id);
}

describe('retention: pruning records, logs, predictions and details (issue 19)', function () {
  // A few API starts on a handful of files, one shared Redis: seconds.
  this.timeout(60_000);
  let stack: Stack;
  let records: RecordStore;
  let results: ResultsStore;
  const apis: StartedApi[] = [];
  const redis = () => testRedis(stack.redisUrl);
  /** A run with every kind of file, `daysAgo` old. */
  const run = async (name: string, daysAgo: number, score: number | undefined, predictionBytes = 100): Promise<string> => {
    const record = succeededRecord(name, Date.now() - daysAgo * DAY, { ...(score !== undefined && { score }), hasDetails: true, predictionsBytes: predictionBytes });
    await records.writeLog(name, record.id, Buffer.from('a log line\n'));
    await results.writePredictions(name, record.id, Buffer.alloc(predictionBytes, 1));
    await results.writeDetails(name, record.id, { tables: [] });
    await records.writeRecord(record);
    return record.id;
  };
  const has = (kind: (typeof KINDS)[number], name: string, id: string): boolean => {
    const l = records.layout;
    const path = { records: l.recordPath(name, id), logs: l.logPath(name, id), predictions: l.predictionsPath(name, id), details: l.detailsPath(name, id) }[kind];
    return existsSync(path);
  };
  const kinds = (name: string, id: string): string[] => KINDS.filter((k) => has(k, name, id));
  const api = async (env: Record<string, string>): Promise<StartedApi> => {
    const started = await startApi(loadApiConfig({ ...stack.env, ...env }), testLogger('api'));
    apis.push(started);
    // The test drives each pass itself (tick), not the timer.
    await started.retention!.stop();
    return started;
  };
  const freeLock = async (): Promise<void> => {
    const conn = redis();
    await conn.del(retentionLockKey(stack.prefix));
    conn.disconnect();
  };

  let oldWorse: string;
  let oldBest: string;
  let oldPending: string;
  let fresh: string;
  let liveId: string;
  let queuedAgain: string;

  before(async () => {
    stack = await startStack({ workers: 0, api: false });
    records = new RecordStore(stack.dataDir);
    results = new ResultsStore(stack.dataDir);
    oldWorse = await run('old', 20, 0.1);
    // The self-scored board's standing run for `old`.
    oldBest = await run('old', 19, 0.9);
    oldPending = await run('old', 18, 0.2);
    fresh = await run('fresh', 0, 0.5);
    // A run that has not finished: its predictions and details come before its record.
    liveId = succeededRecord('live', Date.now() - 20 * DAY).id;
    await results.writePredictions('live', liveId, Buffer.alloc(10));
    await results.writeDetails('live', liveId, { tables: [] });
    // A finished run whose job is in the queue again (no score: it stands on no board).
    queuedAgain = await run('queued', 20, undefined);
    const conn = redis();
    await conn.sadd(rescorePendingKey(stack.prefix), oldPending);
    const queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
    const record = (await records.readRecord('queued', queuedAgain))!;
    await queue.add('run', { id: record.id, name: record.name, image: record.image, limits: record.limits, createdAt: record.createdAt }, { jobId: record.id });
    await queue.close();
    conn.disconnect();
  });
  after(async () => {
    for (const a of apis) await a.close('test done');
    await stack?.stop();
  });

  it("old logs, predictions and details go after their days; their records stay; a board's run, a pending re-score and a live run keep everything", async () => {
    const first = await api({ RETENTION_LOGS_DAYS: '7', RETENTION_PREDICTIONS_DAYS: '7', RETENTION_DETAILS_DAYS: '7' });
    assert.equal(await metric(first, 'passes_total'), 0);
    const pass = await first.retention!.tick();
    assert.equal(pass.ran, true);
    assert.deepEqual(kinds('old', oldWorse), ['records']);
    assert.deepEqual(kinds('old', oldBest), [...KINDS], 'the standing run keeps everything');
    assert.deepEqual(kinds('old', oldPending), [...KINDS], 'a run pending re-score keeps everything');
    assert.deepEqual(kinds('fresh', fresh), [...KINDS]);
    assert.ok(has('predictions', 'live', liveId) && has('details', 'live', liveId), 'a live run keeps its files');
    assert.deepEqual(kinds('queued', queuedAgain), [...KINDS], 'a run whose job is waiting keeps everything');
    assert.deepEqual(
      KINDS.map((k) => pass.pruned[k].files),
      [1, 1, 1, 0],
    );
    assert.ok((await runIds(first, 'old')).includes(oldWorse), 'the record is still served');
    await request(first.url).get(`/v1/runs/${oldWorse}`).expect(200);
    await request(first.url).get(`/v1/runs/${oldWorse}/predictions`).expect(404);
    await request(first.url).get(`/v1/runs/${oldWorse}/details`).expect(404);
    await request(first.url).get(`/v1/runs/${oldBest}/details`).expect(200);
    await request(first.url).get(`/v1/runs/${oldBest}/predictions`).expect(200);
    for (const [kind, n] of [
      ['predictions', 1],
      ['logs', 1],
      ['details', 1],
      ['records', 0],
    ] as const)
      assert.equal(await metric(first, 'pruned_files_total', kind), n, kind);
    assert.equal(await metric(first, 'kept_files', 'records'), 5);
    assert.equal(await metric(first, 'kept_files', 'predictions'), 5, 'four finished runs and the live one');
    assert.equal(await metric(first, 'passes_total'), 1);
    assert.ok((await metric(first, 'last_pass_timestamp_seconds'))! > Date.now() / 1000 - 60);
    // Prometheus's own checker: parsed (exit 0, or 3 for lint findings), and no finding on these metrics.
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: (await request(first.url).get('/metrics')).text, encoding: 'utf8' });
    assert.ok(checked.status === 0 || checked.status === 3, `${checked.stdout}${checked.stderr}`);
    assert.ok(!`${checked.stdout}${checked.stderr}`.includes('modelrun_retention'), `${checked.stdout}${checked.stderr}`);
  });

  it('a record past its days goes, with what is left of its run, from the volume and from GET /v1/models/{name} on every replica', async () => {
    await freeLock();
    const second = await api({ RETENTION_RECORDS_DAYS: '7' });
    const pass = await second.retention!.tick();
    assert.equal(pass.ran, true);
    assert.deepEqual(kinds('old', oldWorse), []);
    assert.equal(pass.pruned.records.files, 1);
    assert.deepEqual(kinds('old', oldBest), [...KINDS]);
    assert.deepEqual(kinds('old', oldPending), [...KINDS]);
    assert.deepEqual(kinds('queued', queuedAgain), [...KINDS]);
    assert.deepEqual((await runIds(second, 'old')).sort(), [oldBest, oldPending].sort());
    // The first replica drops it at its next rescan (the folder it lists has lost the record).
    const first = apis[0]!;
    assert.ok((await runIds(first, 'old')).includes(oldWorse));
    await first.feed.sync.rescan();
    assert.deepEqual((await runIds(first, 'old')).sort(), [oldBest, oldPending].sort());
    assert.equal(await metric(second, 'pruned_files_total', 'records'), 1);
  });

  it('two API replicas do not both prune in one period (the lock)', async () => {
    await freeLock();
    const [a, b] = await Promise.all([apis[0]!.retention!.tick(), apis[1]!.retention!.tick()]);
    assert.equal([a, b].filter((p) => p.ran).length, 1, 'exactly one ran');
    assert.equal(((await metric(apis[0]!, 'passes_total')) ?? 0) + ((await metric(apis[1]!, 'passes_total')) ?? 0), 3);
    // The period's lock holds until it expires: neither prunes again now.
    assert.equal((await apis[0]!.retention!.tick()).ran, false);
  });

  it('over RETENTION_MAX_MB the oldest predictions go first, then no more than needed', async () => {
    const older = await run('big', 3, 0.3, 700 * 1024);
    const newer = await run('big', 2, 0.4, 700 * 1024);
    // The standing run of `big`, so the other two may go.
    await run('big', 1, 0.9, 10);
    await freeLock();
    const capped = await api({ RETENTION_MAX_MB: '1' });
    const pass = await capped.retention!.tick();
    assert.equal(pass.ran, true);
    assert.deepEqual(kinds('big', older), ['logs', 'details', 'records']);
    assert.deepEqual(kinds('big', newer), [...KINDS]);
    assert.deepEqual(
      KINDS.map((k) => pass.pruned[k].files),
      [1, 0, 0, 0],
    );
    assert.equal(await metric(capped, 'pruned_bytes_total', 'predictions'), 700 * 1024);
    assert.ok((await metric(capped, 'kept_bytes', 'predictions'))! < 1024 * 1024);
  });
});
