import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordStore } from '@modelrun/store';

describe('RecordStore.sweepTemp', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-sweep-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes temp files a killed writer left, and only old ones', async () => {
    const store = new RecordStore(dir);
    mkdirSync(store.layout.tmpDir, { recursive: true });
    const old = join(store.layout.tmpDir, 'a.log.1.abc.tmp');
    const fresh = join(store.layout.tmpDir, 'b.json.2.def.tmp');
    const other = join(store.layout.tmpDir, 'keep.txt');
    for (const f of [old, fresh, other]) writeFileSync(f, 'x');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(old, twoMinutesAgo, twoMinutesAgo);
    utimesSync(other, twoMinutesAgo, twoMinutesAgo);
    assert.equal(await store.sweepTemp(60_000), 1);
    assert.deepEqual(readdirSync(store.layout.tmpDir).sort(), ['b.json.2.def.tmp', 'keep.txt']);
  });
});
