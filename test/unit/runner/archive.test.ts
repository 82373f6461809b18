import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { type OutputCaps, type OutputContents, readOutputArchive } from '@modelrun/runner';

type Entry = Partial<tar.Header> & { name: string; content?: Buffer | string };

// Every archive here is in memory and reads in milliseconds; the timeout only bounds a broken reader.
const CAPS: OutputCaps = { totalBytes: 1024 * 1024, timeoutMs: 2_000 };

/** The output folder as the archive endpoint sends it: the folder first, then what is in it. */
function outputFolder(entries: Entry[], dir: Partial<tar.Header> = {}): Entry[] {
  return [{ name: 'output/', type: 'directory', mode: 0o755, uid: 0, gid: 0, ...dir }, ...entries];
}

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const body = content === undefined ? undefined : Buffer.from(content);
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) pack.entry({ ...header, size: body.length }, body, done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  return collected;
}

/** A stream that delivers `bytes` and, unless told otherwise, ends. */
function streamOf(bytes: Buffer, end = true): PassThrough {
  const stream = new PassThrough();
  if (end) stream.end(bytes);
  else stream.write(bytes);
  return stream;
}

async function read(entries: Entry[], caps: OutputCaps = CAPS): Promise<OutputContents> {
  return readOutputArchive(streamOf(await tarOf(entries)), caps);
}

/**
 * Runs `read` and reports any error that escaped it as an uncaught exception (an 'error' event
 * nobody listened to), which would take the worker process down.
 */
async function withoutEscapes(read: () => Promise<OutputContents>): Promise<OutputContents> {
  const escaped: Error[] = [];
  const record = (err: Error): void => {
    escaped.push(err);
  };
  const previous = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', record);
  try {
    const out = await read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    return out;
  } finally {
    process.removeListener('uncaughtException', record);
    for (const listener of previous) process.on('uncaughtException', listener);
    assert.deepEqual(
      escaped.map((e) => e.message),
      [],
      'errors escaped readOutputArchive as uncaught exceptions',
    );
  }
}

function problemOf(out: OutputContents): string {
  assert.ok(out.problem, `expected a problem, got ${JSON.stringify({ ...out, score: out.score?.file })}`);
  assert.equal(out.score, undefined, 'no score is given out alongside a problem');
  return out.problem;
}

describe('readOutputArchive', () => {
  it('reads a regular score.json', async () => {
    const out = await read(outputFolder([{ name: 'output/score.json', content: '{"score": 0.9}' }]));
    assert.equal(out.problem, undefined);
    assert.equal(out.score?.file, 'score.json');
    assert.equal(out.score?.bytes.toString(), '{"score": 0.9}');
    assert.equal(out.entries, 1);
    assert.deepEqual(out.sample, ['score.json']);
    assert.equal(out.totalBytes, 14);
  });

  it('reads a plain score file', async () => {
    const out = await read(outputFolder([{ name: 'output/score', content: '0.77\n' }]));
    assert.equal(out.problem, undefined);
    assert.equal(out.score?.file, 'score');
    assert.equal(out.score?.bytes.toString(), '0.77\n');
  });

  it('prefers score.json when both are present, in either order', async () => {
    for (const names of [
      ['output/score', 'output/score.json'],
      ['output/score.json', 'output/score'],
    ]) {
      const out = await read(outputFolder(names.map((name) => ({ name, content: name.endsWith('.json') ? '{"score": 1}' : '2' }))));
      assert.equal(out.score?.file, 'score.json');
      assert.equal(out.score?.bytes.toString(), '{"score": 1}');
    }
  });

  it('reports no score when there is none, counting the other entries', async () => {
    const out = await read(
      outputFolder([
        { name: 'output/model.pkl', content: Buffer.alloc(300) },
        { name: 'output/logs/', type: 'directory' },
        { name: 'output/logs/train.txt', content: 'epoch 1' },
      ]),
    );
    assert.equal(out.problem, undefined);
    assert.equal(out.score, undefined);
    assert.equal(out.entries, 3);
    assert.deepEqual(out.sample, ['model.pkl', 'logs', 'logs/train.txt']);
    assert.equal(out.totalBytes, 307);
  });

  it('does not take a score.json in a subfolder for the score', async () => {
    const out = await read(outputFolder([{ name: 'output/sub/score.json', content: '{"score": 1}' }]));
    assert.equal(out.score, undefined);
  });

  it('reads an empty output folder', async () => {
    const out = await read(outputFolder([]));
    assert.equal(out.problem, undefined);
    assert.equal(out.entries, 0);
    assert.equal(out.score, undefined);
  });

  it('carries the uid, gid and mode of the output folder', async () => {
    const out = await read(outputFolder([{ name: 'output/score', content: '1' }], { uid: 1000, gid: 1001, mode: 0o750 }));
    assert.deepEqual(out.dir, { uid: 1000, gid: 1001, mode: 0o750 });
  });

  describe('refuses a score file that is not a regular file', () => {
    it('a symbolic link, naming its target', async () => {
      const out = await read(outputFolder([{ name: 'output/score.json', type: 'symlink', linkname: '/etc/passwd' }]));
      const problem = problemOf(out);
      assert.match(problem, /score\.json is a symbolic link/);
      assert.match(problem, /\/etc\/passwd/);
      assert.match(problem, /only a regular file is read/);
    });

    it('a hard link', async () => {
      const out = await read(
        outputFolder([
          { name: 'output/real', content: '{"score": 1}' },
          { name: 'output/score.json', type: 'link', linkname: 'output/real' },
        ]),
      );
      assert.match(problemOf(out), /score\.json is a hard link/);
    });

    it('a FIFO', async () => {
      const out = await read(outputFolder([{ name: 'output/score', type: 'fifo' }]));
      assert.match(problemOf(out), /score is a FIFO/);
    });

    it('a character device', async () => {
      const out = await read(outputFolder([{ name: 'output/score.json', type: 'character-device', devmajor: 1, devminor: 5 }]));
      assert.match(problemOf(out), /score\.json is a character device/);
    });

    it('a directory', async () => {
      const out = await read(outputFolder([{ name: 'output/score.json/', type: 'directory' }]));
      assert.match(problemOf(out), /score\.json is a directory/);
    });
  });

  it('refuses a score.json over 64 KiB without reading it', async () => {
    // Only the headers arrive and the stream stays open: reading the body would wait for the timeout.
    const whole = await tarOf(outputFolder([{ name: 'output/score.json', content: Buffer.alloc(100 * 1024, 0x20) }]));
    const stream = streamOf(whole.subarray(0, 1024), false);
    const started = Date.now();
    // Reading the body would end in this timeout; refusing from the header takes a few ms.
    const out = await readOutputArchive(stream, { ...CAPS, timeoutMs: 1_500 });
    const problem = problemOf(out);
    assert.match(problem, /score\.json is 100 KiB; the limit is 64 KiB/);
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    assert.equal(stream.destroyed, true);
  });

  it('refuses an output folder whose files together are over totalBytes', async () => {
    const out = await read(
      outputFolder([
        { name: 'output/a.bin', content: Buffer.alloc(600) },
        { name: 'output/b.bin', content: Buffer.alloc(600) },
        { name: 'output/score.json', content: '{"score": 1}' },
      ]),
      { ...CAPS, totalBytes: 1000 },
    );
    assert.match(problemOf(out), /more than its limit of 1000 bytes/);
  });

  it('refuses an output folder with more than maxEntries entries', async () => {
    const out = await read(outputFolder([{ name: 'output/score.json', content: '{"score": 1}' }, ...Array.from({ length: 4 }, (_, i): Entry => ({ name: `output/f${i}`, content: 'x' }))]), {
      ...CAPS,
      maxEntries: 3,
    });
    assert.match(problemOf(out), /more than 3 entries/);
  });

  // The engine writes the archive: one that breaks off or is not a tar is never the model's doing.
  it('rejects a truncated archive as broken (not a problem of the output), without hanging', async () => {
    const whole = await tarOf(outputFolder([{ name: 'output/score.json', content: Buffer.alloc(10_000, 0x20) }]));
    await assert.rejects(
      withoutEscapes(() => readOutputArchive(streamOf(whole.subarray(0, 3000)), CAPS)),
      /archive (broke off|ended before)/,
    );
  });

  it('rejects an archive cut off inside a file that is not the score as broken', async () => {
    const whole = await tarOf(outputFolder([{ name: 'output/weights.bin', content: Buffer.alloc(10_000) }]));
    await assert.rejects(
      withoutEscapes(() => readOutputArchive(streamOf(whole.subarray(0, 3000)), CAPS)),
      /archive (broke off|ended before)/,
    );
  });

  it("rejects an archive that ends at an entry's edge, before its end-of-archive blocks, instead of reading a folder without the score", async () => {
    const whole = await tarOf(outputFolder([{ name: 'output/score.json', content: '{"score": 1}' }]));
    // The folder's own header only: what an engine going down mid-response once gave.
    await assert.rejects(readOutputArchive(streamOf(whole.subarray(0, 512)), CAPS), /ended before its end-of-archive blocks/);
    const out = await readOutputArchive(streamOf(whole), CAPS);
    assert.equal(out.problem, undefined);
    assert.ok(out.score, 'the whole archive still reads, score and all');
  });

  it('rejects a stream that is not a tar archive as broken, without hanging', async () => {
    await assert.rejects(
      withoutEscapes(() => readOutputArchive(streamOf(Buffer.alloc(4096, 'not a tar archive! ')), CAPS)),
      /archive (broke off|ended before)/,
    );
  });

  it('rejects a stream that itself fails, with its error', async () => {
    const stream = new PassThrough();
    const reading = readOutputArchive(stream, CAPS);
    stream.destroy(new Error('socket hang up'));
    await assert.rejects(reading, /socket hang up/);
  });

  it('rejects a stream that fails in the middle of the score file as broken, with its error', async () => {
    const whole = await tarOf(outputFolder([{ name: 'output/score.json', content: Buffer.alloc(10_000, 0x20) }]));
    const reading = withoutEscapes(async () => {
      const stream = streamOf(whole.subarray(0, 3000), false);
      const read = readOutputArchive(stream, CAPS);
      setTimeout(() => stream.destroy(new Error('socket hang up')), 10);
      return read;
    });
    await assert.rejects(reading, /broke off \(socket hang up\)/);
  });

  it('abandons a stream that never ends after timeoutMs', async () => {
    const folderOnly = (await tarOf(outputFolder([]))).subarray(0, 512);
    const stream: Readable = streamOf(folderOnly, false);
    const started = Date.now();
    // Short, so the test stays fast; the upper bound leaves room for a loaded machine.
    const out = await readOutputArchive(stream, { ...CAPS, timeoutMs: 200 });
    const elapsed = Date.now() - started;
    assert.match(problemOf(out), /took longer than 0\.2 s/);
    assert.ok(elapsed >= 190 && elapsed < 1_000, `took ${elapsed} ms`);
    assert.equal(stream.destroyed, true);
  });
});
