import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunRecord, newRunId } from '@modelrun/contracts';
import { RecordStore } from '@modelrun/store';

const LIMITS = { timeoutSeconds: 60, memoryMb: 256, cpus: 1, gpus: 0 };

function record(id: string, score: number): RunRecord {
  const at = new Date().toISOString();
  return { version: 1, id, name: 'digits', image: 'team/model:1', status: 'succeeded', score, limits: LIMITS, createdAt: at, finishedAt: at, attempts: 1 };
}

describe('RecordStore.writeRun (a finished run: its log, then its record once)', () => {
  let dir: string;
  let store: RecordStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-write-run-'));
    store = new RecordStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the log and the record, then keeps the first record of a run', async () => {
    const id = newRunId();
    assert.equal(await store.writeRun(record(id, 0.5), Buffer.from('epoch 1\n')), true);
    assert.equal((await store.readRecord('digits', id))?.score, 0.5);
    assert.equal((await store.readLog('digits', id))?.toString(), 'epoch 1\n');
    assert.equal(await store.writeRun(record(id, 0.9), undefined), false, 'a second record is refused');
    assert.equal((await store.readRecord('digits', id))?.score, 0.5);
    assert.deepEqual(readdirSync(store.layout.tmpDir), [], 'no temp file is left');
  });

  it('puts nothing in place, and leaves no temp file, when the last check fails', async () => {
    const id = newRunId();
    await assert.rejects(
      store.writeRun(record(id, 0.5), Buffer.from('out\n'), async () => {
        throw new Error('owned elsewhere');
      }),
      /owned elsewhere/,
    );
    assert.equal(await store.readRecord('digits', id), undefined);
    assert.equal(await store.readLog('digits', id), undefined);
    assert.deepEqual(readdirSync(store.layout.tmpDir), []);
  });

  it("reports the last check's failure rather than the volume's when both fail", async () => {
    const id = newRunId();
    // A file where the temp folder should be: every write to the volume fails.
    writeFileSync(store.layout.tmpDir, 'not a folder');
    await assert.rejects(
      store.writeRun(record(id, 0.5), Buffer.from('out\n'), async () => {
        throw new Error('owned elsewhere');
      }),
      /owned elsewhere/,
    );
    await assert.rejects(store.writeRun(record(id, 0.5), Buffer.from('out\n')), (err: NodeJS.ErrnoException) => err.code === 'EEXIST' || err.code === 'ENOTDIR');
    assert.equal(existsSync(store.layout.recordPath('digits', id)), false);
  });
});
