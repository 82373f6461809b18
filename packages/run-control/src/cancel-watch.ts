import type { Redis } from 'ioredis';
import { cancelChannel, cancelKey } from './cancel-keys';

/** How often the runs a worker holds are checked for a cancel it may have missed (one MGET for all of them). */
export const CANCEL_CHECK_MS = 10_000;

/**
 * How a worker learns that a run it holds was cancelled: from the announcement on the cancel
 * channel, at once, whichever host's API took the cancel. Until issue 20 every running run asked
 * Redis once a second (a one-minute run: 60 round trips, more Redis time than the rest of its
 * life). Pub/sub delivers at most once, so the cancel flag stays the truth: every watched run is
 * checked again after each (re)connection of the subscriber and every `checkMs`, all in one MGET.
 */
export class CancelWatch {
  private readonly watched = new Map<string, Set<() => void>>();
  private sub: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly deployment: string,
    private readonly opts: { checkMs?: number; onError?: (err: Error) => void } = {},
  ) {}

  async start(): Promise<void> {
    // A connection of its own: one that subscribes can send nothing else.
    const sub = this.redis.duplicate({ enableAutoPipelining: false, lazyConnect: true });
    this.sub = sub;
    sub.on('message', (_channel: string, runId: string) => this.fire(runId));
    // A cancel announced while the subscriber was away (a blip, a failover) was missed: look.
    sub.on('ready', () => void this.checkAll());
    sub.on('error', (err: Error) => this.opts.onError?.(err));
    await sub.connect();
    await sub.subscribe(cancelChannel(this.deployment));
    this.timer = setInterval(() => void this.checkAll(), this.opts.checkMs ?? CANCEL_CHECK_MS);
    this.timer.unref();
  }

  /** Calls `onCancel` once the run is cancelled. @returns the function that stops watching. */
  watch(runId: string, onCancel: () => void): () => void {
    let set = this.watched.get(runId);
    if (!set) this.watched.set(runId, (set = new Set()));
    set.add(onCancel);
    return () => {
      set.delete(onCancel);
      if (set.size === 0 && this.watched.get(runId) === set) this.watched.delete(runId);
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const sub = this.sub;
    this.sub = undefined;
    await sub?.quit().catch(() => sub.disconnect());
  }

  private fire(runId: string): void {
    for (const onCancel of this.watched.get(runId) ?? []) onCancel();
  }

  private async checkAll(): Promise<void> {
    const ids = [...this.watched.keys()];
    if (ids.length === 0) return;
    try {
      const flags = await this.redis.mget(ids.map((id) => cancelKey(this.deployment, id)));
      ids.forEach((id, i) => flags[i] && this.fire(id));
    } catch (err) {
      // The next check tries again; a run is cancelled late, never wrongly.
      this.opts.onError?.(err as Error);
    }
  }
}
