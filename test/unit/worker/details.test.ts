import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import { DETAILS_FILE_MAX_BYTES, DETAILS_LIMITS, parseDetailsFile } from '@modelrun/contracts';
import { readOutputArchive } from '@modelrun/runner';
import { DETAILS_READ, judgeDetails } from '../../../apps/worker/src/run/kept-results';

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const table = (rows: unknown[][], columns = ['class', 'support']) => ({ title: 'per class', columns, rows });

/** The evaluator's output folder, as the archive endpoint sends it. */
async function outputArchive(entries: { name: string; content?: string | Buffer; type?: 'file' | 'symlink'; linkname?: string }[]): Promise<PassThrough> {
  const pack = tar.pack();
  pack.entry({ name: 'output/', type: 'directory' });
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: `output/${e.name}`, type: 'symlink', linkname: e.linkname ?? 'x' });
    else pack.entry({ name: `output/${e.name}` }, Buffer.from(e.content ?? ''));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const stream = new PassThrough();
  stream.end(Buffer.concat(chunks));
  return stream;
}

describe("an evaluator's details.json", () => {
  describe('parseDetailsFile', () => {
    it('accepts tables of strings, numbers and nulls, and notes', () => {
      const parsed = parseDetailsFile(
        json({
          tables: [
            table([
              ['0', 45],
              ['1', null],
            ]),
          ],
          notes: ['public part only'],
        }),
      );
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value.tables[0]!.rows[1], ['1', null]);
    });

    const BAD: [string, unknown, RegExp][] = [
      ['not an object', [1, 2], /details\.json: the document: expected object/],
      ['no tables', {}, /details\.json: tables: expected array/],
      ['a row shorter than the header', { tables: [table([['0']])] }, /tables\[0\]\.rows\[0\]: has 1 cells; the table has 2 columns/],
      ['a cell that is an object', { tables: [table([['0', { secret: 1 }]])] }, /tables\[0\]\.rows\[0\]\[1\]: must be a string, a number or null/],
      ['a cell over 200 characters', { tables: [table([['0', 'x'.repeat(201)]])] }, /rows\[0\]\[1\]: at most 200 characters/],
      ['more than 20 tables', { tables: Array.from({ length: 21 }, () => table([])) }, /tables: at most 20 tables/],
      ['more than 1000 rows', { tables: [table(Array.from({ length: 1001 }, () => ['a', 1]))] }, /rows: at most 1000 rows/],
      ['more than 20 columns', { tables: [{ title: 't', columns: Array.from({ length: 21 }, (_, i) => `c${i}`), rows: [] }] }, /columns: at most 20 columns/],
      ['a field the format does not have', { tables: [], labels: [1, 2] }, /details\.json: the document: has a field the format does not have/],
    ];
    for (const [what, doc, message] of BAD) {
      it(`refuses ${what}, saying where`, () => {
        const parsed = parseDetailsFile(json(doc));
        assert.equal(parsed.ok, false);
        if (!parsed.ok) assert.match(parsed.message, message);
      });
    }

    it('refuses text that is not JSON without quoting it (it may hold reference data)', () => {
      const parsed = parseDetailsFile(Buffer.from('label of 17 is 3; {'));
      assert.deepEqual(parsed, { ok: false, message: 'details.json is not valid JSON' });
    });

    it('never quotes a cell in its message', () => {
      const parsed = parseDetailsFile(json({ tables: [table([['secret-label-7', 'x'.repeat(300)]])] }));
      assert.ok(!parsed.ok && !parsed.message.includes('secret') && !parsed.message.includes('xxx'));
    });

    it(`refuses a file over ${DETAILS_FILE_MAX_BYTES / 1024} KiB`, () => {
      const parsed = parseDetailsFile(Buffer.alloc(DETAILS_FILE_MAX_BYTES + 1, 0x20));
      assert.deepEqual(parsed, { ok: false, message: 'details.json is 257 KiB; the limit is 256 KiB' });
    });

    it('accepts the largest file its bounds allow', () => {
      const rows = Array.from({ length: DETAILS_LIMITS.rows }, (_, i) => [String(i), i]);
      assert.ok(parseDetailsFile(json({ tables: [table(rows)] })).ok);
    });
  });

  describe('judgeDetails (what the record says)', () => {
    it('has nothing to say when the evaluator wrote no file', () => {
      assert.deepEqual(judgeDetails(undefined), {});
    });
    it('keeps a valid file', () => {
      const verdict = judgeDetails({ size: 10, regular: true, bytes: json({ tables: [] }) });
      assert.deepEqual(verdict, { details: { tables: [] } });
    });
    it('leaves out a file over its cap (unread) with its size', () => {
      assert.deepEqual(judgeDetails({ size: 300 * 1024, regular: true }), { error: 'details.json is 300 KiB; the limit is 256 KiB' });
    });
    it('leaves out a symbolic link', () => {
      assert.deepEqual(judgeDetails({ size: 0, regular: false }), { error: 'details.json is not a regular file' });
    });
    it('leaves out an invalid file with the reason', () => {
      assert.deepEqual(judgeDetails({ size: 3, regular: true, bytes: Buffer.from('[1]') }), { error: 'details.json: the document: expected object' });
    });
  });

  describe('reading it out of the output folder', () => {
    const caps = { totalBytes: 4 * 1024 * 1024, timeoutMs: 2_000, details: DETAILS_READ };

    it('reads the file beside the score file', async () => {
      const out = await readOutputArchive(
        await outputArchive([
          { name: 'score.json', content: '{"score": 1}' },
          { name: 'details.json', content: '{"tables": []}' },
        ]),
        caps,
      );
      assert.equal(out.score?.file, 'score.json');
      assert.equal(out.details?.bytes?.toString(), '{"tables": []}');
    });

    it('tells only the size of a file over its cap, and reads the score file after it', async () => {
      const big = Buffer.alloc(DETAILS_FILE_MAX_BYTES + 10, 0x20);
      const out = await readOutputArchive(
        await outputArchive([
          { name: 'details.json', content: big },
          { name: 'score.json', content: '{"score": 1}' },
        ]),
        caps,
      );
      assert.deepEqual(out.details, { size: big.length, regular: true });
      assert.equal(out.details?.bytes, undefined);
      assert.ok(out.score);
    });

    it('does not follow a symbolic link named details.json', async () => {
      const out = await readOutputArchive(await outputArchive([{ name: 'details.json', type: 'symlink', linkname: '/input/reference/labels' }]), caps);
      assert.deepEqual(out.details, { size: 0, regular: false });
    });
  });
});
