import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import type { AppliedLimits } from '@modelrun/contracts';
import { type ExitInfo, type OutputCaps, type OutputContents, classify, readOutputArchive, readPredictions } from '@modelrun/runner';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink'; content?: string; linkname?: string };

async function archiveOf(entries: Entry[]): Promise<PassThrough> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const { content, ...header } of [{ name: 'output/', type: 'directory' as const }, ...entries]) {
    if (content === undefined) pack.entry(header);
    else pack.entry({ ...header, size: Buffer.byteLength(content) }, content);
  }
  pack.finalize();
  await ended;
  const stream = new PassThrough();
  stream.end(Buffer.concat(chunks));
  return stream;
}

const files = (n: number, bytes = 1): Entry[] => Array.from({ length: n }, (_, i) => ({ name: `output/f${i}`, content: 'x'.repeat(bytes) }));
const CAPS: OutputCaps = { totalBytes: 16 * 1024, maxEntries: 100, timeoutMs: 2_000 };

describe('an output past its cap', () => {
  // What the output volume (a tmpfs of the cap plus one page) could hold, and how it is told.
  const cases: [string, Entry[], RegExp | undefined][] = [
    ['4 one-byte files: 16 KiB of pages, within the cap', files(4), undefined],
    [
      '5 one-byte files: 20 KiB of pages, past the cap though 5 bytes',
      files(5),
      /files take more than its limit of 16 KiB \(RUN_OUTPUT_MAX_MB\); writing past it fails with "no space left on device", each file counted in whole 4 KiB pages/,
    ],
    [
      'one file of the cap and one page (a write that filled the volume)',
      files(1, 16 * 1024 + 4096),
      /holds more than its limit of 16 KiB \(RUN_OUTPUT_MAX_MB\); writing past it fails with "no space left on device"/,
    ],
    ['an entry past the entry cap', [...Array.from({ length: 101 }, (_, i) => ({ name: `output/e${i}`, content: '' }))], /more than 100 entries/],
  ];
  for (const [what, entries, message] of cases) {
    it(`${what}: ${message ? 'past it' : 'fine'}`, async () => {
      const read = await readOutputArchive(await archiveOf(entries), CAPS);
      assert.equal(read.overCap, message ? true : undefined);
      if (message) assert.match(read.problem ?? '', message);
      else assert.equal(read.problem, undefined);
      const predictions = await readPredictions(await archiveOf(entries), CAPS);
      if (message) assert.match(predictions.problem ?? '', message, 'predictions are held to the same cap');
      else assert.equal(predictions.problem, undefined);
    });
  }

  it('is not claimed for a problem that is not a cap', async () => {
    const read = await readOutputArchive(await archiveOf([{ name: 'output/score.json', type: 'symlink', linkname: '/etc/passwd' }]), CAPS);
    assert.match(read.problem ?? '', /symbolic link/);
    assert.equal(read.overCap, undefined);
  });

  describe('classify', () => {
    const LIMITS: AppliedLimits = { timeoutSeconds: 60, memoryMb: 512, cpus: 1, gpus: 0 };
    const exit = (o: Partial<ExitInfo> = {}): ExitInfo => ({ exitCode: 0, oomKilled: false, timedOut: false, cancelled: false, user: '', ...o });
    const over: OutputContents = { entries: 1, sample: ['flood'], totalBytes: 20_000, overCap: true, problem: 'the output folder holds more than its limit of 16 KiB (RUN_OUTPUT_MAX_MB)' };
    const symlink: OutputContents = { entries: 1, sample: ['score.json'], totalBytes: 0, problem: 'score.json is a symbolic link' };
    const cases: [string, ExitInfo, OutputContents, string][] = [
      ['past the cap, exit 0', exit(), over, 'bad_output'],
      ['past the cap, and the model exited 1 when its write failed', exit({ exitCode: 1 }), over, 'bad_output'],
      ['past the cap, but stopped at its deadline', exit({ timedOut: true, exitCode: 137 }), over, 'timeout'],
      ['past the cap, but out of memory', exit({ oomKilled: true, exitCode: 137 }), over, 'oom'],
      ['past the cap, but cancelled', exit({ cancelled: true, exitCode: 143 }), over, 'cancelled'],
      ['another output problem after exit 1: the exit code speaks', exit({ exitCode: 1 }), symlink, 'exit_code'],
    ];
    for (const [what, e, output, reason] of cases) {
      it(`${what}: ${reason}`, () => {
        const outcome = classify(e, output, LIMITS);
        assert.equal(outcome.status === 'succeeded' ? 'succeeded' : outcome.reason, reason);
        if (reason === 'bad_output') assert.match(outcome.status === 'succeeded' ? '' : outcome.error, /RUN_OUTPUT_MAX_MB/);
      });
    }
  });
});
