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
}

/** A run's output, to be piped to the client. */
export interface RunOutput {
  stream: Readable;
  /** Its length in bytes when it is known up front (everything but a followed run). */
  length?: number;
}

const BLOCK_MS = 2_000;

/**
 * A run's output. Finished runs: the tail the worker kept on the volume. Live runs: what the
 * worker has copied into Redis so far, and when followed the rest as it comes, until the run ends.
 */
export class LogsService {
  private followers = 0;

  constructor(private readonly deps: LogsServiceDeps) {}

  async read(run: RunView, opts: { follow: boolean }): Promise<RunOutput> {
    if (isFinal(run.status)) {
      const stored = await this.deps.store.readLog(run.name, run.id);
      if (stored) return whole(stored);
    }
    const entries = await viaRedis(() => this.deps.control.liveLog(run.id));
    if (!opts.follow || isFinal(run.status)) return whole(Buffer.concat(entries.map((e) => e.data)));
    return { stream: this.follow(run, entries) };
  }

  /** What the run has written so far, then the rest as it comes; destroying the stream stops it. */
  private follow(run: RunView, first: { id: string; data: Buffer }[]): Readable {
    if (this.followers >= (this.deps.maxFollowers ?? 64)) throw new TooManyFollowers();
    this.followers++;
    const conn = this.deps.blockingConnection();
    let closed = false;
    const out = new Readable({
      // Pushed as it arrives: a run's live output is capped by the worker (2 MiB), so no backpressure.
      read: () => undefined,
      destroy: (err, done) => {
        // The client went away: end the blocking read at once rather than after BLOCK_MS.
        closed = true;
        conn.disconnect();
        done(err);
      },
    });
    const pump = async (): Promise<void> => {
      let last = '0';
      for (const e of first) {
        out.push(e.data);
        last = e.id;
      }
      while (!closed) {
        const entries = await this.deps.control.readLiveLog(run.id, last, BLOCK_MS, conn).catch(() => []);
        if (closed) return;
        for (const e of entries) {
          out.push(e.data);
          last = e.id;
        }
        if (entries.length === 0) {
          const now = await this.deps.runs.get(run.id).catch(() => undefined);
          if (!now || isFinal(now.status)) return;
        }
      }
    };
    void pump().finally(() => {
      this.followers--;
      conn.disconnect();
      if (!closed) out.push(null);
    });
    return out;
  }
}

function whole(data: Buffer): RunOutput {
  return { stream: Readable.from([data], { objectMode: false }), length: data.length };
}
