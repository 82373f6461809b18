import type { Redis } from 'ioredis';

/** The notes kept: far more than the records a rescan interval sees rewritten (approximate trim, cheap). */
const KEEP_NOTES = 100_000;
/** The most notes one read returns; the rest are read by the next call, from where this one stopped. */
const READ_PAGE = 5_000;

/** Where a reader of the notes has got to: a stream id. */
export type RescoredCursor = string;

/**
 * The runs whose records a re-score rewrote, in the order it did (issue 19), so an API that
 * missed a re-score's `completed` event (its events connection was away) reads the records again
 * on its next rescan instead of at its next restart: the rescan of the volume reads only records
 * it has not seen. A Redis stream: its ids come from Redis's clock, so a reader never skips a
 * note a worker with a slow clock wrote; one XADD per re-scored run.
 */
export class RescoredRuns {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:rescore:rewritten`;
  }

  /** Notes that a re-score rewrote the run's record (after the rewrite). */
  async note(runId: string): Promise<void> {
    await this.redis.xadd(this.key, 'MAXLEN', '~', KEEP_NOTES, '*', 'run', runId);
  }

  /** The cursor of the latest note: a reader that starts here reads only what comes after. */
  async latest(): Promise<RescoredCursor> {
    const [last] = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1);
    return last?.[0] ?? '0-0';
  }

  /** The runs noted after `cursor` (each once, at most a page), the cursor to read from next, and whether more are noted. */
  async after(cursor: RescoredCursor): Promise<{ runIds: string[]; cursor: RescoredCursor; more: boolean }> {
    // Inclusive of the cursor's own note (XRANGE's exclusive form needs Redis 6.2): dropped here.
    const entries = (await this.redis.xrange(this.key, cursor, '+', 'COUNT', READ_PAGE + 1)).filter(([id]) => id !== cursor);
    const runIds = new Set<string>();
    for (const [, fields] of entries) {
      const at = fields.indexOf('run');
      if (at >= 0 && fields[at + 1]) runIds.add(fields[at + 1]!);
    }
    return { runIds: [...runIds], cursor: entries.at(-1)?.[0] ?? cursor, more: entries.length >= READ_PAGE };
  }
}
