import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import request from 'supertest';
import { type StartedApi, startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import { type RunRecord, newRunId } from '@modelrun/contracts';
import { succeededRecord } from '../fixtures/records';
import { RecordStore } from '@modelrun/store';
import { testLogger } from '../helpers/logger';
import { type Stack, startStack } from '../helpers/stack';

function record(name: string, score: number): RunRecord {
  return succeededRecord(name, Date.now(), { id: newRunId(), score });
}

async function models(api: StartedApi): Promise<{ name: string; runCount: number }[]> {
  const res = await request(api.url).get('/v1/models?sort=name&limit=100').expect(200);
  return (res.body.models as { name: string; runCount: number }[]).map((m) => ({ name: m.name, runCount: m.runCount }));
}

describe('the API started from its index snapshot', function () {
  // Two API starts on a few records, one private Redis: seconds.
  this.timeout(60_000);
  let stack: Stack;
  const started: StartedApi[] = [];

  before(async () => {
    stack = await startStack({ workers: 0, api: false });
  });
  after(async () => {
    for (const api of started) await api.close('test done').catch(() => undefined);
    await stack?.stop();
  });

  it('writes the snapshot after its full scan, starts from it, says so on /readyz until verified, then shows runs recorded meanwhile', async () => {
    const store = new RecordStore(stack.dataDir);
    for (const [name, score] of [
      ['alpha', 0.5],
      ['alpha', 0.7],
      ['beta', 0.6],
    ] as const)
      await store.writeRecord(record(name, score));
    const first = await startApi(loadApiConfig(stack.env), testLogger('api'));
    started.push(first);
    assert.equal(first.feed.sync.state, 'scanned', 'no snapshot yet: a full scan');
    const before = await models(first);
    await first.close('restart');
    assert.ok(existsSync(first.feed.sync.snapshotPath), 'the snapshot is written after the full scan');

    await store.writeRecord(record('gamma', 0.9));
    const second = await startApi(loadApiConfig(stack.env), testLogger('api'));
    started.push(second);
    assert.notEqual(second.feed.sync.state, 'scanned', 'started from the snapshot');
    const ready = await request(second.url).get('/readyz').expect(200);
    assert.ok(['snapshot-unverified', 'verified'].includes(ready.body.checks.index.state), JSON.stringify(ready.body));
    await second.feed.sync.verified;
    assert.equal((await request(second.url).get('/readyz').expect(200)).body.checks.index.state, 'verified');
    assert.deepEqual(await models(second), [...before, { name: 'gamma', runCount: 1 }]);
  });

  it('scans every record, and writes no snapshot, with INDEX_SNAPSHOT=off', async () => {
    const api = await startApi(loadApiConfig({ ...stack.env, INDEX_SNAPSHOT: 'off' }), testLogger('api'));
    started.push(api);
    assert.equal(api.feed.sync.state, 'scanned');
    assert.deepEqual(
      (await models(api)).map((m) => m.name),
      ['alpha', 'beta', 'gamma'],
    );
  });
});
