import assert from 'node:assert/strict';
import { LogTail } from '@modelrun/runner';

const STDOUT = 1;
const STDERR = 2;

/** One Docker multiplexed frame: stream byte, three zero bytes, big-endian uint32 length, payload. */
function frame(stream: number, payload: string | Buffer): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

const FRAMES: [number, string][] = [
  [STDOUT, 'training on digits\n'],
  [STDERR, 'warning: slow\n'],
  [STDOUT, ''],
  [STDOUT, 'épоch 1 ✓\n'],
  [STDERR, 'x'],
];
const RAW = Buffer.concat(FRAMES.map(([s, p]) => frame(s, p)));
const PAYLOAD = Buffer.concat(FRAMES.map(([, p]) => Buffer.from(p)));

describe('LogTail', () => {
  it('strips the frame headers from whole frames', () => {
    const tail = new LogTail(1024);
    tail.push(RAW);
    assert.deepEqual(tail.bytes, PAYLOAD);
    assert.equal(tail.dropped, 0);
  });

  it('reassembles frames split into two chunks at every byte boundary', () => {
    for (let cut = 0; cut <= RAW.length; cut++) {
      const tail = new LogTail(1024);
      const first = tail.push(RAW.subarray(0, cut));
      const second = tail.push(RAW.subarray(cut));
      assert.deepEqual(tail.bytes, PAYLOAD, `split at ${cut}`);
      assert.deepEqual(Buffer.concat([first, second]), PAYLOAD, `returned payloads, split at ${cut}`);
    }
  });

  it('reassembles frames split into three chunks at every pair of byte boundaries', () => {
    // Three short frames (one empty) keep the ~500 splits fast while still cutting every header twice.
    const raw = Buffer.concat([frame(STDOUT, 'ab'), frame(STDERR, ''), frame(STDOUT, 'cde')]);
    const payload = Buffer.from('abcde');
    for (let a = 0; a <= raw.length; a++) {
      for (let b = a; b <= raw.length; b++) {
        const tail = new LogTail(1024);
        const returned = Buffer.concat([tail.push(raw.subarray(0, a)), tail.push(raw.subarray(a, b)), tail.push(raw.subarray(b))]);
        // Buffer.equals, not deepEqual: this runs hundreds of times.
        if (!tail.bytes.equals(payload) || !returned.equals(payload)) {
          assert.fail(`split at ${a} and ${b}: kept ${JSON.stringify(tail.bytes.toString())}, returned ${JSON.stringify(returned.toString())}`);
        }
      }
    }
  });

  it('reassembles frames fed one byte at a time', () => {
    const tail = new LogTail(1024);
    const returned: Buffer[] = [];
    for (let i = 0; i < RAW.length; i++) returned.push(tail.push(RAW.subarray(i, i + 1)));
    assert.deepEqual(tail.bytes, PAYLOAD);
    assert.deepEqual(Buffer.concat(returned), PAYLOAD);
  });

  it('reads a frame longer than 64 KiB split across many chunks', () => {
    const big = Buffer.alloc(200_000, 'abcdefghijklmnopqrstuvwxyz');
    const raw = frame(STDOUT, big);
    const tail = new LogTail(1_000_000);
    for (let i = 0; i < raw.length; i += 16_384) tail.push(raw.subarray(i, i + 16_384));
    assert.ok(tail.bytes.equals(big));
  });

  it('returns the payload bytes each push completed, and nothing for a partial frame', () => {
    const tail = new LogTail(1024);
    const one = frame(STDOUT, 'hello\n');
    const two = frame(STDERR, 'world\n');
    assert.equal(tail.push(one.subarray(0, 5)).length, 0, 'half a header completes nothing');
    assert.equal(tail.push(one.subarray(5, 10)).length, 0, 'a header and part of the payload complete nothing');
    assert.equal(tail.push(Buffer.concat([one.subarray(10), two.subarray(0, 9)])).toString(), 'hello\n');
    assert.equal(tail.push(two.subarray(9)).toString(), 'world\n');
    assert.equal(tail.push(Buffer.concat([one, two])).toString(), 'hello\nworld\n');
  });

  it('keeps only the last maxBytes and counts the rest as dropped', () => {
    const tail = new LogTail(10);
    tail.push(frame(STDOUT, 'abcdefgh'));
    tail.push(frame(STDERR, 'ijklmnop'));
    tail.push(frame(STDOUT, 'qrstuvwxy'));
    assert.equal(tail.bytes.toString(), 'pqrstuvwxy');
    assert.equal(tail.dropped, 15);
  });

  it('keeps the end of a single payload larger than maxBytes', () => {
    const tail = new LogTail(4);
    const returned = tail.push(frame(STDOUT, '0123456789'));
    assert.equal(returned.toString(), '0123456789', 'live followers still get every byte');
    assert.equal(tail.bytes.toString(), '6789');
    assert.equal(tail.dropped, 6);
  });

  it('keeps exactly maxBytes without dropping any', () => {
    const tail = new LogTail(PAYLOAD.length);
    tail.push(RAW);
    assert.deepEqual(tail.bytes, PAYLOAD);
    assert.equal(tail.dropped, 0);
  });

  it('keeps the tail across many small frames split at odd boundaries', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}\n`);
    const raw = Buffer.concat(lines.map((l, i) => frame(i % 3 === 0 ? STDERR : STDOUT, l)));
    const all = Buffer.from(lines.join(''));
    const tail = new LogTail(100);
    for (let i = 0; i < raw.length; i += 7) tail.push(raw.subarray(i, i + 7));
    assert.deepEqual(tail.bytes, all.subarray(all.length - 100));
    assert.equal(tail.dropped, all.length - 100);
  });

  it('appends already-demultiplexed bytes as they are', () => {
    const tail = new LogTail(5);
    tail.append(Buffer.from('abc'));
    tail.append(Buffer.from('defg'));
    assert.equal(tail.bytes.toString(), 'cdefg');
    assert.equal(tail.dropped, 2);
  });
});
