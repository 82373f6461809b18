import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunIndex, VolumeSync, summarize } from '@modelrun/leaderboard';
import { RecordStore } from '@modelrun/store';
import { succeededRecord } from '../../fixtures/records';

const silent = { info: () => undefined, warn: () => undefined };

describe('VolumeSync: a record removed from the volume (retention, issue 19)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("leaves the index at the next rescan; a cancelled run's view, which may come before its record, stays", async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-sync-'));
    const store = new RecordStore(dir);
    const t = Date.UTC(2025, 0, 1);
    const gone = succeededRecord('alpha', t + 1000, { score: 0.1 });
    const kept = succeededRecord('alpha', t + 2000, { score: 0.2 });
    for (const r of [gone, kept]) await store.writeRecord(r);
    const index = new RunIndex();
    const sync = new VolumeSync({ layout: store.layout, index, log: silent, snapshot: false });
    await sync.load();
    // A cancel the API recorded before the worker's record reached the volume.
    const cancelled = succeededRecord('alpha', t + 3000, { status: 'cancelled' });
    index.upsert(summarize(cancelled));
    rmSync(store.layout.recordPath('alpha', gone.id));
    await sync.rescan();
    assert.deepEqual(
      index.getModel('alpha')!.runs.map((r) => r.id),
      [cancelled.id, kept.id],
    );
    assert.equal(index.getRun(gone.id), undefined);
  });
});
