import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ImagePullObserver, PulledImage } from '@modelrun/runner';

/** One image modelrun pulled onto a host, as an operator sees it to decide what to prune. */
export interface PulledImageEntry {
  image: string;
  id: string;
  /** Bytes its pull downloaded. */
  bytes: number;
  /** Pulled ahead of its run, rather than by the run. */
  ahead: boolean;
  pulledAt: string;
  /** When a run last used the image on this host (updated at most once a minute). */
  lastUsedAt?: string;
}

/** Last-used times are written at most this often per image: a run's start stays off Redis's critical path. */
const USED_EVERY_MS = 60_000;

/**
 * The images modelrun pulled onto one host, in Redis (`<prefix>:images:pulled:<host>`, and
 * `<prefix>:images:used:<host>` for last-used times), so an operator can prune what modelrun
 * brought and no run has used lately. Images cannot be labelled after a pull, hence a list.
 * Writes are fire-and-forget: a lost one costs an entry in a list, never a run.
 */
export class PulledImages implements ImagePullObserver {
  private readonly usedAt = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly host: string,
    private readonly onError: (err: Error) => void,
  ) {}

  private get pulledKey(): string {
    return `${this.prefix}:images:pulled:${this.host}`;
  }

  private get usedKey(): string {
    return `${this.prefix}:images:used:${this.host}`;
  }

  pulled(p: PulledImage): void {
    const now = Date.now();
    this.usedAt.set(p.image, now);
    const entry = { id: p.id, bytes: p.bytes, ahead: p.ahead, pulledAt: new Date(now).toISOString() };
    this.redis.multi().hset(this.pulledKey, p.image, JSON.stringify(entry)).hset(this.usedKey, p.image, new Date(now).toISOString()).exec().catch(this.onError);
  }

  used(image: string): void {
    const now = Date.now();
    if (now - (this.usedAt.get(image) ?? 0) < USED_EVERY_MS) return;
    this.usedAt.set(image, now);
    this.redis.hset(this.usedKey, image, new Date(now).toISOString()).catch(this.onError);
  }

  /** Every image modelrun pulled onto this host, least recently used first. */
  async list(): Promise<PulledImageEntry[]> {
    const [pulled, used] = await Promise.all([this.redis.hgetall(this.pulledKey), this.redis.hgetall(this.usedKey)]);
    const entries = Object.entries(pulled).map(([image, json]): PulledImageEntry => {
      const e = JSON.parse(json) as Omit<PulledImageEntry, 'image'>;
      return { image, id: e.id, bytes: e.bytes, ahead: e.ahead, pulledAt: e.pulledAt, ...(used[image] && { lastUsedAt: used[image] }) };
    });
    const at = (e: PulledImageEntry): string => e.lastUsedAt ?? e.pulledAt;
    return entries.sort((a, b) => at(a).localeCompare(at(b)));
  }

  /**
   * Every image modelrun pulled or a run used on this host (images built on the host count once
   * a run used them), each with when a run last used it, else when it was pulled (ms).
   */
  async lastUsed(): Promise<Map<string, number>> {
    const [pulled, used] = await Promise.all([this.redis.hgetall(this.pulledKey), this.redis.hgetall(this.usedKey)]);
    const at = new Map<string, number>();
    for (const [image, json] of Object.entries(pulled)) at.set(image, Date.parse((JSON.parse(json) as { pulledAt: string }).pulledAt));
    for (const [image, when] of Object.entries(used)) at.set(image, Date.parse(when));
    return at;
  }

  private get prunedKey(): string {
    return `${this.prefix}:images:pruned:${this.host}`;
  }

  /** An image of `bytes` was pruned from the host: counted in the host's totals (the fleet view). */
  async notePruned(bytes: number, at = new Date()): Promise<void> {
    await this.redis.multi().hincrby(this.prunedKey, 'count', 1).hincrby(this.prunedKey, 'bytes', Math.round(bytes)).hset(this.prunedKey, 'lastAt', at.toISOString()).exec();
  }

  /** What the host's workers have pruned, for the host's record in the fleet view; undefined before the first. */
  async prunedTotals(): Promise<{ imagesPruned: number; prunedBytes: number; lastPrunedAt?: string } | undefined> {
    const h = await this.redis.hgetall(this.prunedKey);
    if (!h.count) return undefined;
    return { imagesPruned: Number(h.count), prunedBytes: Number(h.bytes ?? 0), ...(h.lastAt && { lastPrunedAt: h.lastAt }) };
  }

  /** The images are gone from the host (pruned): they leave the list. */
  async forget(images: readonly string[]): Promise<void> {
    if (images.length === 0) return;
    for (const image of images) this.usedAt.delete(image);
    await this.redis
      .multi()
      .hdel(this.pulledKey, ...images)
      .hdel(this.usedKey, ...images)
      .exec();
  }
}

/** modelrun_worker_pulled_images{}/_bytes at scrape time, and pull-ahead outcomes as they happen. */
export function pullMetrics(registry: Registry, images: PulledImages): (outcome: string) => void {
  const list = async (): Promise<PulledImageEntry[] | undefined> => images.list().catch(() => undefined);
  new Gauge({
    name: 'modelrun_worker_pulled_images',
    help: 'Images modelrun pulled onto this host (the list to prune from: see docs/operations/pull-ahead.md)',
    registers: [registry],
    async collect() {
      const l = await list();
      if (l) this.set(l.length);
    },
  });
  new Gauge({
    name: 'modelrun_worker_pulled_image_bytes',
    help: 'Bytes downloaded by the pulls of the images modelrun pulled onto this host',
    registers: [registry],
    async collect() {
      const l = await list();
      if (l) this.set(l.reduce((n, e) => n + e.bytes, 0));
    },
  });
  const outcomes = new Counter({
    name: 'modelrun_worker_pull_ahead_total',
    help: 'Pulls ahead of their runs by outcome: pulled, present (already there), too_large (over PULL_AHEAD_MB), failed',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return (outcome) => outcomes.inc({ outcome });
}
