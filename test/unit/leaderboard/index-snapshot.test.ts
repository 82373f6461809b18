import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_SORTS, type RunRecord, RunSummary } from '@modelrun/contracts';
import { VolumeSync, RunIndex, TIMESTAMP_PATTERN } from '@modelrun/leaderboard';
import { DIGITS } from '../../fixtures/benchmark-definition';
import { succeededRecord } from '../../fixtures/records';
import { RecordStore, writeFileReplace } from '@modelrun/store';

const T0 = Date.UTC(2025, 0, 1);
const BOARD = DIGITS;

function record(name: string, t: number, extra: Partial<RunRecord> = {}): RunRecord {
  const at = new Date(T0 + t * 1000).toISOString();
  return succeededRecord(name, T0 + t * 1000, { score: (t % 17) / 17, startedAt: at, durationMs: 1000 + t, ...extra });
}

/** Everything a client can read from the index, to compare two indexes. */
function view(index: RunIndex): unknown {
  const lists = MODEL_SORTS.flatMap((sort) => (['asc', 'desc'] as const).map((order) => index.listModels({ sort, order, limit: 1000, offset: 0 })));
  const models = index
    .modelNames()
    .sort()
    .map((n) => index.getModel(n));
  return { lists, models, board: index.boards.list('digits', { sort: 'accuracy', order: 'best', limit: 1000, offset: 0 }) };
}

class Log {
  lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  info(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, ...(meta && { meta }) });
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, ...(meta && { meta }) });
  }
  warnings(): string[] {
    return this.lines.filter((l) => l.level === 'warn').map((l) => `${l.message}: ${String(l.meta?.error)}`);
  }
}

describe('index snapshot', function () {
  // Full loads start scan threads only for big volumes; these are small, so this is generous.
  this.timeout(20_000);
  let dir: string;
  let store: RecordStore;
  let written: Map<string, RunRecord>;
  let syncs: VolumeSync[];

  async function start(snapshot = true): Promise<{ index: RunIndex; sync: VolumeSync; log: Log; source: string }> {
    const index = new RunIndex([BOARD]);
    const log = new Log();
    const sync = new VolumeSync({ layout: store.layout, index, log, snapshot });
    syncs.push(sync);
    const loaded = await sync.load();
    return { index, sync, log, source: loaded.source };
  }

  /** What a full scan of the volume as it is now gives. */
  async function truth(): Promise<unknown> {
    const { index, source } = await start(false);
    assert.equal(source, 'scan');
    return view(index);
  }

  /** Makes every model folder look untouched for an hour, so a verification may trust it. */
  async function ageFolders(): Promise<void> {
    const old = new Date(Date.now() - 3600_000);
    for (const m of await readdir(store.layout.runsDir)) utimesSync(join(store.layout.runsDir, m), old, old);
  }

  /** A volume with a snapshot of it, written by an API that did a full scan. */
  async function snapshotted(): Promise<void> {
    await ageFolders();
    const first = await start();
    assert.equal(first.source, 'scan');
    await first.sync.saveSnapshot();
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-snapshot-'));
    syncs = [];
    store = new RecordStore(dir);
    written = new Map();
    const write = async (r: RunRecord): Promise<void> => {
      await store.writeRecord(r);
      written.set(`${r.name}/${written.size}`, r);
    };
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) {
      for (let i = 0; i < 5; i++) await write(record(name, written.size));
    }
    await write(record('gamma', 20, { status: 'failed', reason: 'exit_code', exitCode: 3, score: undefined, durationMs: undefined }));
    await write(record('delta', 21, { status: 'failed', reason: 'timeout', exitCode: null, score: undefined, startedAt: undefined }));
    await write(record('eps', 22, { benchmark: 'digits', score: 0.9, metrics: { accuracy: 0.9 } }));
    await write(record('zeta', 23, { benchmark: 'digits', score: 0.8, metrics: { accuracy: 0.8 } }));
    // Who submitted and what ran (issue 18) travel in the snapshot; runs without them stay 12-tuples.
    await write(record('eta', 24, { submittedBy: { user: 'ann', team: 'red' }, imageDigest: `reg.example/eta@sha256:${'a'.repeat(64)}` }));
    await write(record('eta', 25, { submittedBy: { user: 'bob' } }));
  });
  afterEach(async () => {
    // A full load writes its snapshot in the background: removing the folder under that write
    // failed with ENOTEMPTY once.
    await Promise.all(syncs.map((s) => s.idle()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads to the same leaderboard as a full scan, and trusts folders that did not change', async () => {
    await snapshotted();
    const { index, sync, source, log } = await start();
    assert.equal(source, 'snapshot');
    assert.equal(sync.state, 'snapshot-unverified');
    assert.deepEqual(view(index), await truth());
    await sync.verified;
    assert.equal(sync.state, 'verified');
    const verified = log.lines.find((l) => l.message.startsWith('index snapshot verified'));
    assert.equal(verified?.meta?.folders, 0, 'no folder changed, so none was listed');
    assert.deepEqual(view(index), await truth());
    assert.deepEqual(log.warnings(), []);
  });

  it('picks up runs recorded, replaced or deleted after the snapshot once verified', async () => {
    await snapshotted();
    const added = record('alpha', 100, { score: 0.99 });
    await store.writeRecord(added);
    await store.writeRecord(record('newcomer', 101));
    // Replaced the way the store writes (a temp file renamed into place): the record changed.
    const replaced = { ...written.get('beta/5')!, score: 0.01 };
    await writeFileReplace(store.layout.tmpDir, store.layout.recordPath('beta', replaced.id), JSON.stringify(replaced));
    rmSync(store.layout.recordPath('gamma', written.get('gamma/10')!.id));
    rmSync(store.layout.recordPath('zeta', written.get('zeta/23')!.id));
    rmSync(store.layout.modelDir('delta'), { recursive: true });

    const { index, sync, source } = await start();
    assert.equal(source, 'snapshot');
    // Served from the snapshot until verified: the old state.
    assert.equal(index.getRun(added.id), undefined);
    assert.ok(index.getModel('delta'));
    await sync.verified;
    assert.equal(index.getRun(added.id)?.score, 0.99);
    assert.ok(index.getModel('newcomer'));
    assert.equal(index.getRun(replaced.id)?.score, 0.01);
    assert.equal(index.getModel('delta'), undefined);
    assert.equal(index.boards.list('digits', { sort: 'accuracy', order: 'best', limit: 10, offset: 0 })?.total, 1);
    assert.deepEqual(view(index), await truth());
  });

  it('serves the snapshot unverified, and says so, while the volume cannot be listed; the next rescan verifies it', async () => {
    await snapshotted();
    const runsDir = store.layout.runsDir;
    renameSync(runsDir, `${runsDir}.away`);
    writeFileSync(runsDir, 'not a folder');
    const { index, sync, source, log } = await start();
    assert.equal(source, 'snapshot');
    await sync.verified;
    assert.equal(sync.state, 'snapshot-unverified');
    assert.match(log.warnings().join('\n'), /could not verify the index snapshot/);
    rmSync(runsDir);
    renameSync(`${runsDir}.away`, runsDir);
    const late = record('late', 300);
    await store.writeRecord(late);
    await sync.rescan();
    assert.equal(sync.state, 'verified');
    assert.ok(index.getRun(late.id));
    assert.deepEqual(view(index), await truth());
  });

  const damage: [string, (path: string) => void, RegExp][] = [
    ['truncated', (p) => truncateSync(p, Math.floor(readFileSync(p).length / 2)), /truncated|corrupt/],
    [
      'corrupt (a byte changed)',
      (p) => {
        const b = readFileSync(p);
        const at = b.indexOf('"alpha"');
        b[at + 1] = 'A'.charCodeAt(0);
        writeFileSync(p, b);
      },
      /checksum/,
    ],
    ['of another version', (p) => writeFileSync(p, readFileSync(p, 'utf8').replace('"version":2', '"version":99')), /version 99/],
    ['not a snapshot', (p) => writeFileSync(p, 'hello\n'), /truncated|not an index snapshot/],
  ];
  for (const [what, harm, why] of damage) {
    it(`falls back to a full scan, with a warning, from a snapshot ${what}`, async () => {
      await snapshotted();
      const path = new VolumeSync({ layout: store.layout, index: new RunIndex(), log: new Log(), snapshot: true }).snapshotPath;
      harm(path);
      await store.writeRecord(record('late', 200));
      const { index, sync, source, log } = await start();
      assert.equal(source, 'scan');
      assert.equal(sync.state, 'scanned');
      assert.equal(log.warnings().length, 1);
      assert.match(log.warnings()[0]!, /index snapshot unusable/);
      assert.match(log.warnings()[0]!, why);
      assert.deepEqual(view(index), await truth());
    });
  }

  // Rewritten as a worker with write access to the volume could: bad content, a fresh checksum.
  const tampered: [string, (lines: string[], trailer: { images: string[] }) => void, RegExp][] = [
    ['an image reference in the tables', (_lines, trailer) => (trailer.images[0] = '../../etc/passwd'), /bad trailer/],
    ['a run id in the last model line', (lines) => (lines[lines.length - 1] = lines.at(-1)!.replace(/"[0-9a-f-]{36}"/, '"../../x"')), /not a run id/],
  ];
  for (const [what, tamper, why] of tampered) {
    it(`refuses a snapshot whose checksum holds but whose content breaks the run contract: ${what}`, async () => {
      await snapshotted();
      const { sync } = await start();
      await sync.verified;
      const lines = readFileSync(sync.snapshotPath, 'utf8').trimEnd().split('\n');
      const trailer = JSON.parse(lines.pop()!) as { images: string[]; sha256: string };
      tamper(lines, trailer);
      const body = `${lines.join('\n')}\n`;
      trailer.sha256 = createHash('sha256').update(body).digest('hex');
      writeFileSync(sync.snapshotPath, `${body}${JSON.stringify(trailer)}\n`);
      const again = await start();
      assert.equal(again.source, 'scan');
      assert.equal(again.log.warnings().length, 1);
      assert.match(again.log.warnings()[0]!, /index snapshot unusable/);
      assert.match(again.log.warnings()[0]!, why);
      // Nothing of the half-read snapshot is left behind the full scan's index.
      assert.deepEqual(view(again.index), await truth());
    });
  }

  it('stays whole when several APIs write it at once', async () => {
    await snapshotted();
    const writers = await Promise.all([start(), start(), start()]);
    await Promise.all(writers.map((w) => w.sync.verified));
    for (let round = 0; round < 5; round++) {
      await store.writeRecord(record('alpha', 300 + round));
      await Promise.all(
        writers.map(async (w) => {
          await w.sync.rescan();
          assert.equal(await w.sync.saveSnapshot(), true);
        }),
      );
    }
    const { index, source, log } = await start();
    assert.equal(source, 'snapshot');
    assert.deepEqual(log.warnings(), []);
    assert.deepEqual(view(index), await truth());
    assert.deepEqual((await readdir(join(dir, 'index', 'tmp'))).length, 0, 'no temp file left behind');
  });

  it("checks timestamps by the run contract's own pattern", () => {
    // The snapshot tests timestamps with a regex (a schema call each is seconds at 1M runs).
    const contract = (RunSummary.shape.createdAt as unknown as { _zod: { pattern: RegExp } })._zod.pattern;
    assert.equal(String(TIMESTAMP_PATTERN), String(contract));
  });

  it('writes nothing when INDEX_SNAPSHOT is off', async () => {
    const { sync } = await start(false);
    assert.equal(await sync.saveSnapshot(), false);
    assert.throws(() => readFileSync(sync.snapshotPath), /ENOENT/);
  });
});
