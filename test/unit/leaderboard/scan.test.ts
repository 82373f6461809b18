import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunRecord, newRunId } from '@modelrun/contracts';
import { RecordScanner } from '@modelrun/leaderboard';
import { succeededRecord } from '../../fixtures/records';
import { RecordStore } from '@modelrun/store';
import { scanInThreads } from '../../../packages/leaderboard/src/scan-threads';
import type { FolderState } from '../../../packages/leaderboard/src/snapshot-format';

function record(name: string, t: number, score: number): RunRecord {
  return succeededRecord(name, Date.UTC(2025, 0, 1) + t * 1000, { score });
}

async function collect(scanner: RecordScanner, threads = 0, known = new Set<string>()): Promise<{ ids: string[]; errors: string[] }> {
  const ids: string[] = [];
  const errors: string[] = [];
  await scanner.scan({
    threads,
    ...(known.size > 0 && { skip: (id: string) => known.has(id) }),
    onRecord: (r) => ids.push(r.id),
    onError: (path) => errors.push(path),
  });
  return { ids: ids.sort(), errors: errors.sort() };
}

describe('RecordScanner', function () {
  // A scan thread started from source loads tsx and the contracts first: well under 10 s.
  this.timeout(20_000);
  let dir: string;
  let store: RecordStore;
  let written: RunRecord[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-scan-'));
    store = new RecordStore(dir);
    written = [record('alpha', 1, 0.5), record('alpha', 2, 0.6), record('beta', 3, 0.7)];
    for (const r of written) await store.writeRecord(r);
    // Not records: a corrupt one, a temp file, a stray file where a model folder would be.
    writeFileSync(join(store.layout.modelDir('beta'), `${newRunId()}.json`), '{"version": 1,');
    writeFileSync(join(store.layout.modelDir('beta'), 'x.json.123.tmp'), 'partial');
    writeFileSync(join(store.layout.runsDir, 'stray'), 'not a folder');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const threads of [0, 2]) {
    it(`reads every valid record and reports the rest (${threads ? `${threads} threads` : 'on the event loop'})`, async () => {
      const { ids, errors } = await collect(new RecordScanner(store.layout), threads);
      assert.deepEqual(ids, written.map((r) => r.id).sort());
      assert.equal(errors.length, 2, errors.join(', '));
      assert.ok(errors.some((p) => p.endsWith('stray')));
      assert.ok(errors.some((p) => p.includes(`${join('runs', 'beta')}`)));
    });
  }

  it('scan threads report each folder listed with its mtime (what an index snapshot keeps)', async () => {
    const listed = new Map<string, FolderState>();
    const result = { files: 0, records: 0, errors: 0, folders: 0 };
    const ids: string[] = [];
    const failed = await scanInThreads(store.layout, ['alpha', 'beta'], 2, { onRecord: (r) => ids.push(r.id) }, result, (m, state) => listed.set(m, state));
    assert.deepEqual(failed, []);
    assert.deepEqual(ids.sort(), written.map((r) => r.id).sort());
    for (const m of ['alpha', 'beta']) {
      assert.equal(listed.get(m)?.mtimeMs, statSync(store.layout.modelDir(m)).mtimeMs, m);
      assert.ok(listed.get(m)!.at >= listed.get(m)!.mtimeMs, m);
    }
  });

  it('finds records added later, in old folders and new ones, on a rescan', async () => {
    const scanner = new RecordScanner(store.layout);
    const known = new Set((await collect(scanner, 2)).ids);
    const later = [record('alpha', 10, 0.9), record('gamma', 11, 0.1)];
    for (const r of later) await store.writeRecord(r);
    const { ids } = await collect(scanner, 0, known);
    assert.deepEqual(ids, later.map((r) => r.id).sort());
  });

  it('lists only the folders whose mtime moved once it knows their mtimes', async () => {
    const scanner = new RecordScanner(store.layout);
    const known = new Set((await collect(scanner)).ids);
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const m of ['alpha', 'beta']) utimesSync(store.layout.modelDir(m), hourAgo, hourAgo);
    await collect(scanner, 0, known); // the first rescan stats and lists every folder
    const r = record('beta', 20, 0.3);
    await store.writeRecord(r);
    const result = await scanner.scan({ skip: (id) => known.has(id), onRecord: (x) => known.add(x.id) });
    assert.ok(known.has(r.id), 'the new record was found');
    assert.equal(result.folders, 1, 'only beta, whose mtime moved, was listed');
  });

  it('treats a missing runs folder as an empty volume', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'modelrun-scan-empty-'));
    try {
      const { ids, errors } = await collect(new RecordScanner(new RecordStore(empty).layout), 2);
      assert.deepEqual(ids, []);
      assert.deepEqual(errors, []);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
