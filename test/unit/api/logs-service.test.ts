import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { RunView } from '@modelrun/contracts';
import type { LiveLogEntry, RunControl } from '@modelrun/run-control';
import type { RecordStore } from '@modelrun/store';
import { CallerFollowsTooMany, LogsService, type LogsServiceDeps } from '../../../apps/api/src/services/logs-service';
import { TooManyFollowers } from '../../../apps/api/src/services/errors';
import type { RunsService } from '../../../apps/api/src/services/runs-service';

const run = { id: 'r1', name: 'chatty', status: 'running' } as RunView;
const ENTRY = 8 * 1024;

/**
 * A run that always has more output (a full read every time, at once), or `entries` entries in
 * all and then ends. Counts reads, so a test can tell a pull-based follower from one that is not.
 */
function chattyWorld(opts: { entries?: number; status?: () => RunView['status'] } = {}) {
  const counts = { reads: 0, connections: 0, disconnected: 0 };
  let next = 0;
  const take = (count: number): LiveLogEntry[] => {
    const out: LiveLogEntry[] = [];
    // Bounded, so a follower that is not pull-based fails the test rather than the machine.
    while (out.length < count && next < (opts.entries ?? 20_000)) {
      out.push({ id: `${++next}-0`, data: Buffer.alloc(ENTRY, next % 251) });
    }
    return out;
  };
  const control = {
    liveLog: async () => [],
    readLiveLog: async (_id: string, _after: string, _block: number, _client?: Redis, count = 512) => {
      counts.reads++;
      // A turn of the event loop per read, as a real round trip takes.
      await new Promise((r) => setImmediate(r));
      return take(count);
    },
  };
  const deps: LogsServiceDeps = {
    store: { readLog: async () => undefined } as unknown as RecordStore,
    control: control as unknown as RunControl,
    runs: { get: async () => ({ ...run, status: opts.status?.() ?? 'running' }) } as unknown as RunsService,
    blockingConnection: () => {
      counts.connections++;
      return { disconnect: () => counts.disconnected++ } as unknown as Redis;
    },
  };
  return { deps, counts };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LogsService: following a live run', () => {
  const open: Readable[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.destroy();
  });
  const follow = async (logs: LogsService, caller = 'token:a'): Promise<Readable> => {
    const { stream } = await logs.read(run, { follow: true, caller });
    open.push(stream);
    return stream;
  };

  it('reads Redis only as fast as the client takes output: a client that reads nothing holds a bounded buffer', async () => {
    const { deps, counts } = chattyWorld();
    const stream = await follow(new LogsService({ ...deps, bufferBytes: 64 * 1024 }));
    await tick(200);
    assert.ok(stream.readableLength <= 64 * 1024 + 16 * ENTRY, `${stream.readableLength} bytes buffered for a client that reads nothing`);
    assert.ok(counts.reads <= 3, `${counts.reads} reads from Redis for a client that reads nothing`);
  });

  it('hands the client everything, in order, as it reads, and ends with the run', async () => {
    let reads = 0;
    const world = chattyWorld({ entries: 100, status: () => (reads++ > 0 ? 'succeeded' : 'running') });
    const stream = await follow(new LogsService({ ...world.deps, bufferBytes: 16 * 1024 }));
    const got: Buffer[] = [];
    for await (const chunk of stream) got.push(chunk as Buffer);
    const all = Buffer.concat(got);
    assert.equal(all.length, 100 * ENTRY);
    for (let i = 0; i < 100; i++) assert.equal(all[i * ENTRY], (i + 1) % 251, `entry ${i + 1} in its place`);
  });

  it('closes a follower that takes nothing for stallMs, with FollowerStalled, and frees its slot and its connection', async () => {
    const { deps, counts } = chattyWorld();
    const logs = new LogsService({ ...deps, stallMs: 100, maxFollowersPerCaller: 1 });
    const stream = await follow(logs);
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => stream.once('error', resolve));
    assert.equal(err.code, 'ERR_FOLLOWER_STALLED');
    assert.ok(counts.disconnected >= 1, 'its blocking connection was closed');
    await tick(20);
    // Its slot is free again: the same caller may follow once more.
    await follow(logs);
  });

  it('caps followers per caller, naming the cap, while another caller still gets one; a closed follower gives its slot back', async () => {
    const { deps } = chattyWorld();
    const logs = new LogsService({ ...deps, maxFollowersPerCaller: 2 });
    const [a] = [await follow(logs, 'token:a'), await follow(logs, 'token:a')];
    await assert.rejects(follow(logs, 'token:a'), (err: Error) => {
      assert.ok(err instanceof CallerFollowsTooMany && err instanceof TooManyFollowers);
      assert.match(err.message, /already follow the logs of 2 runs/);
      return true;
    });
    await follow(logs, 'token:b');
    a!.destroy();
    await tick(20);
    await follow(logs, 'token:a');
  });

  it('caps followers across the process too', async () => {
    const { deps } = chattyWorld();
    const logs = new LogsService({ ...deps, maxFollowers: 2 });
    await follow(logs, 'token:a');
    await follow(logs, 'token:b');
    await assert.rejects(follow(logs, 'token:c'), (err: Error) => err instanceof TooManyFollowers && !(err instanceof CallerFollowsTooMany));
  });
});
