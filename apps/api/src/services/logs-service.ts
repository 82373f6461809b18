import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { type RunView, isFinal } from '@modelrun/contracts';
import type { RunControl } from '@modelrun/run-control';
import type { RecordStore } from '@modelrun/store';
import { TooManyFollowers, viaRedis } from './errors';
import type { RunsService } from './runs-service';

export interface LogsServiceDeps {
  store: RecordStore;
  control: RunControl;
  runs: RunsService;
  /** A blocking connection per follower: XREAD BLOCK holds its connection while it waits. */
  blockingConnection: () => Redis;
  /** Followers at once across the process (default 64); more get TooManyFollowers. */
  maxFollowers?: number;
  /** Followers at once per caller (default 4), so one caller cannot hold every slot. */
  maxFollowersPerCaller?: number;
  /** A follower that takes nothing for this long while output waits for it is closed (default 30 s). */
  stallMs?: number;
  /** What a follower's stream holds for a client that reads slower than the run writes (default 64 KiB). */
  bufferBytes?: number;
}

/** A run's output, to be piped to the client. */
export interface RunOutput {
  stream: Readable;
  /** Its length in bytes when it is known up front (everything but a followed run). */
  length?: number;
}

/** Ends a followed stream whose client stopped taking output; the HTTP layer just closes the connection. */
export class FollowerStalled extends Error {
  override readonly name = 'FollowerStalled';
  readonly code = 'ERR_FOLLOWER_STALLED';
}

/** A caller already follows as many runs as one caller may. */
export class CallerFollowsTooMany extends TooManyFollowers {
  constructor(following: number) {
    super();
    this.message = `you already follow the logs of ${following} runs, the most one caller may at once; close one, or read the logs without follow`;
  }
}

const BLOCK_MS = 2_000;
/** Entries per read from Redis (8 KiB each at most): a read is small, and only made when the client took the last. */
const READ_ENTRIES = 16;

/**
 * A run's output. Finished runs: the tail the worker kept on the volume. Live runs: what the
 * worker has copied into Redis so far, and when followed the rest as it comes, until the run ends.
 */
export class LogsService {
  private followers = 0;
  private readonly perCaller = new Map<string, number>();

  constructor(private readonly deps: LogsServiceDeps) {}

  /** @param opts.caller who follows (a principal): counted against maxFollowersPerCaller when given. */
  async read(run: RunView, opts: { follow: boolean; caller?: string }): Promise<RunOutput> {
    if (isFinal(run.status)) {
      const stored = await this.deps.store.readLog(run.name, run.id);
      if (stored) return whole(stored);
    }
    if (!opts.follow || isFinal(run.status)) {
      const entries = await viaRedis(() => this.deps.control.liveLog(run.id));
      return whole(Buffer.concat(entries.map((e) => e.data)));
    }
    const caller = opts.caller;
    this.admit(caller);
    try {
      // The first few entries now: an unreachable Redis is a 503 rather than an empty stream.
      const first = await viaRedis(() => this.deps.control.readLiveLog(run.id, '0', 0, undefined, READ_ENTRIES));
      return { stream: this.follow(run, first, caller) };
    } catch (err) {
      this.leave(caller);
      throw err;
    }
  }

  /** Takes a follower slot, or refuses: the process's slots and each caller's share are both capped. */
  private admit(caller: string | undefined): void {
    const mine = caller === undefined ? 0 : (this.perCaller.get(caller) ?? 0);
    if (mine >= (this.deps.maxFollowersPerCaller ?? 4)) throw new CallerFollowsTooMany(mine);
    if (this.followers >= (this.deps.maxFollowers ?? 64)) throw new TooManyFollowers();
    this.followers++;
    if (caller !== undefined) this.perCaller.set(caller, mine + 1);
  }

  private leave(caller: string | undefined): void {
    this.followers--;
    if (caller === undefined) return;
    const left = (this.perCaller.get(caller) ?? 1) - 1;
    if (left > 0) this.perCaller.set(caller, left);
    else this.perCaller.delete(caller);
  }

  /**
   * What the run has written so far, then the rest as it comes; destroying the stream stops it.
   * Pull-based: Redis is read only while the client takes what was read, so a client that stops
   * reading holds at most `bufferBytes` here (the socket's buffers aside) however chatty the run,
   * and is closed after `stallMs`, freeing its slot and its Redis connection.
   */
  private follow(run: RunView, first: { id: string; data: Buffer }[], caller: string | undefined): Readable {
    const conn = this.deps.blockingConnection();
    const stallMs = this.deps.stallMs ?? 30_000;
    let closed = false;
    /** Set while the pump waits for the client to take what it was given. */
    let wake: (() => void) | undefined;
    const out = new Readable({
      highWaterMark: this.deps.bufferBytes ?? 64 * 1024,
      read: () => wake?.(),
      destroy: (err, done) => {
        // The client went away (or stalled): end the blocking read at once rather than after BLOCK_MS.
        closed = true;
        conn.disconnect();
        wake?.();
        done(err);
      },
    });
    const taken = (): Promise<void> =>
      new Promise((resolve) => {
        const stalled = setTimeout(() => out.destroy(new FollowerStalled(`the client took no output for ${stallMs / 1000} s`)), stallMs);
        wake = () => {
          wake = undefined;
          clearTimeout(stalled);
          resolve();
        };
      });
    const send = async (data: Buffer): Promise<void> => {
      if (!out.push(data)) await taken();
    };
    const pump = async (): Promise<void> => {
      let last = '0';
      for (const e of first) {
        if (closed) return;
        await send(e.data);
        last = e.id;
      }
      while (!closed) {
        const entries = await this.deps.control.readLiveLog(run.id, last, BLOCK_MS, conn, READ_ENTRIES).catch(() => []);
        for (const e of entries) {
          if (closed) return;
          await send(e.data);
          last = e.id;
        }
        if (closed) return;
        if (entries.length === 0) {
          const now = await this.deps.runs.get(run.id).catch(() => undefined);
          if (!now || isFinal(now.status)) return;
        }
      }
    };
    void pump().finally(() => {
      this.leave(caller);
      conn.disconnect();
      if (!closed) out.push(null);
    });
    return out;
  }
}

function whole(data: Buffer): RunOutput {
  return { stream: Readable.from([data], { objectMode: false }), length: data.length };
}
