import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RunControl } from '@modelrun/run-control';
import type { ContainerHandle, ModelRunner } from '@modelrun/runner';
import { LIVE_WINDOW_BYTES, pumpLiveLogs } from '../../../apps/worker/src/run/live-logs';
import { testLogger } from '../../helpers/logger';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * ArrayBuffer bytes alive: the lowest count over a few collections. The pump is still at work
 * when this counts (a write in flight, the next window taken, 2 MiB each), and on a loaded
 * machine a count can come before a write ends, so one count that did not fall is not yet the
 * floor: collect until three in a row found no new low (a few hundred ms). A queue of writes
 * takes minutes to drain, so it stays high in every count.
 */
async function liveArrayBuffers(): Promise<number> {
  let low = Infinity;
  for (let i = 0, sinceLow = 0; i < 20 && sinceLow < 3; i++, sinceLow++) {
    gc();
    await new Promise((r) => setTimeout(r, 25));
    const now = process.memoryUsage().arrayBuffers;
    if (now < low) [low, sinceLow] = [now, 0];
  }
  return low;
}

const MiB = 2 ** 20;
const CHUNK = 64 * 1024;
const handle: ContainerHandle = { id: 'c1', runId: 'r1', adopted: false, state: 'running' };

/** A chunk whose every byte says which chunk it is, so the test can tell which output was kept. */
const chunkNo = (i: number): Buffer => Buffer.alloc(CHUNK, i % 251);

/**
 * A Redis that takes `writeMs` for each write; it remembers how much was written, and the last
 * CHUNK bytes of it in one buffer made once: a write's bookkeeping allocates nothing, or the
 * bytes measured above would count this fake's garbage (a concat per entry made ~18 MiB a write:
 * 'held 21.1 MiB' on a loaded machine).
 */
function slowControl(writeMs: number) {
  const seen = { bytes: 0, tail: Buffer.alloc(CHUNK), all: [] as Buffer[], largestEntry: 0, inFlight: 0, maxInFlight: 0 };
  const write = async (entries: readonly Buffer[]): Promise<void> => {
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    await new Promise((r) => setTimeout(r, writeMs));
    for (const e of entries) {
      seen.bytes += e.length;
      seen.largestEntry = Math.max(seen.largestEntry, e.length);
      const n = Math.min(e.length, CHUNK);
      seen.tail.copyWithin(0, n);
      e.copy(seen.tail, CHUNK - n, e.length - n);
      if (writeMs === 0) seen.all.push(Buffer.from(e));
    }
    seen.inFlight--;
  };
  const control = { appendLiveLog: (_: string, d: Buffer) => write([d]), appendLiveLogs: (_: string, e: readonly Buffer[]) => write(e) };
  return { control: control as unknown as RunControl, seen };
}

/** A container that prints `chunks` chunks, one per turn of the event loop, then stops. */
function chattyRunner(chunks: number): { runner: ModelRunner; done: Promise<void> } {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const runner = {
    followLogs: async (_h: ContainerHandle, onData: (c: Buffer) => void) => {
      for (let i = 0; i < chunks; i++) {
        onData(chunkNo(i));
        await new Promise((r) => setImmediate(r));
      }
      finish();
      return true;
    },
  };
  return { runner: runner as unknown as ModelRunner, done };
}

describe('copying a chatty container to Redis (pumpLiveLogs)', function () {
  // 64 MiB through the pump against a Redis slower than the output: a second or two.
  this.timeout(20_000);

  it('holds the live window, not the backlog, while Redis is slower than the output', async () => {
    const total = 64 * MiB;
    const { control, seen } = slowControl(50);
    const { runner, done } = chattyRunner(total / CHUNK);
    const before = await liveArrayBuffers();
    const stop = pumpLiveLogs(runner, control, handle, 1 * MiB, testLogger('worker'));
    await done;
    const held = (await liveArrayBuffers()) - before;
    // The live window, one write in flight and the kept 1 MiB tail; a queue of writes would hold
    // most of the 64 MiB (and take minutes to drain: this test then times out in stop()).
    assert.ok(held < 2 * LIVE_WINDOW_BYTES + 2 * MiB, `held ${(held / MiB).toFixed(1)} MiB after 64 MiB of output`);
    const kept = await stop();
    assert.equal(seen.maxInFlight, 1, 'one write at a time');
    assert.ok(kept, 'the follower saw the output through to the stop');
    assert.equal(kept.bytes.length + kept.dropped, total, 'the kept log saw every byte');
    // Redis got the newest output, ending with the very last chunk: what a follower wants to see.
    assert.ok(seen.bytes < total / 2, `most of the backlog was skipped, not written (${seen.bytes} bytes written)`);
    assert.deepEqual(seen.tail, chunkNo(total / CHUNK - 1));
  });

  it('writes every byte, in order, in entries of at most 8 KiB, when the output fits the window', async () => {
    const { control, seen } = slowControl(0);
    const { runner, done } = chattyRunner(20);
    const stop = pumpLiveLogs(runner, control, handle, 1 * MiB, testLogger('worker'));
    await done;
    await stop();
    const expected = Buffer.concat(Array.from({ length: 20 }, (_, i) => chunkNo(i)));
    assert.ok(Buffer.concat(seen.all).equals(expected));
    assert.ok(seen.largestEntry <= 8 * 1024, `an entry of ${seen.largestEntry} bytes`);
  });
});
