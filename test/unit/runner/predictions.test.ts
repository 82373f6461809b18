import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { readPredictions } from '@modelrun/runner';

type Entry = Partial<tar.Header> & { name: string; content?: string };

async function tarStream(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack();
  for (const { content, ...h } of [{ name: 'output/', type: 'directory' as const }, ...entries]) {
    if (content !== undefined) pack.entry({ ...h, size: Buffer.byteLength(content) }, content);
    else pack.entry(h);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

async function entriesOf(buf: Buffer): Promise<{ name: string; type: string; mode: number; uid: number; body: string }[]> {
  const out: { name: string; type: string; mode: number; uid: number; body: string }[] = [];
  const extract = tar.extract();
  extract.on('entry', (h, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      out.push({ name: h.name, type: h.type ?? '', mode: h.mode ?? 0, uid: h.uid ?? -1, body: Buffer.concat(chunks).toString() });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    Readable.from([buf]).pipe(extract);
  });
  return out;
}

const CAPS = { totalBytes: 1024, timeoutMs: 2_000 };

describe("a benchmark model's output, turned into the evaluator's predictions", () => {
  it('passes regular files and folders, re-owned by root and readable by all', async () => {
    const read = await readPredictions(
      await tarStream([
        { name: 'output/sub/', type: 'directory', mode: 0o700, uid: 1000 },
        { name: 'output/sub/p.csv', content: '1,3\n', mode: 0o4777, uid: 1000 },
      ]),
      CAPS,
    );
    assert.ok(read.problem === undefined, read.problem);
    assert.deepEqual(await entriesOf(read.tar), [
      { name: 'sub', type: 'directory', mode: 0o755, uid: 0, body: '' },
      { name: 'sub/p.csv', type: 'file', mode: 0o644, uid: 0, body: '1,3\n' },
    ]);
  });

  for (const type of ['symlink', 'link', 'fifo'] as const) {
    it(`refuses a ${type}, saying which entry`, async () => {
      const read = await readPredictions(await tarStream([{ name: 'output/p.csv', type, linkname: '/input/reference/labels.csv' }]), CAPS);
      assert.match(read.problem ?? '', /^predictions may only be regular files and folders; p\.csv is a/);
    });
  }

  it('refuses more than the output cap', async () => {
    const read = await readPredictions(await tarStream([{ name: 'output/big', content: 'x'.repeat(2048) }]), CAPS);
    assert.match(read.problem ?? '', /more than its limit of 1 KiB/);
  });
});
