import type { Redis } from 'ioredis';
import { runCommand } from './commands';

/** Who revealed a benchmark's private board, and when. */
export interface Reveal {
  at: string;
  by: string;
}

export type SelectOutcome = { ok: true } | { ok: false; limit: number; selected: string[] };

/**
 * What the boards need beyond the records, shared by every API replica through Redis and as
 * durable as the queue (AOF): whether a benchmark's private board was revealed, and which runs
 * submitters selected for it. A record is written once by a worker, so neither can live there;
 * keeping them in Redis, not in one API's memory, lets any replica answer and survives restarts.
 */
export class BoardState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(benchmark: string, what: string): string {
    return `${this.prefix}:board:${benchmark}:${what}`;
  }

  /** The reveal, if an admin made one. */
  async revealed(benchmark: string): Promise<Reveal | undefined> {
    const raw = await this.redis.get(this.key(benchmark, 'revealed'));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as Reveal;
    } catch {
      return { at: new Date(0).toISOString(), by: '(unknown)' };
    }
  }

  /** Reveals the private board; the first reveal stands (a second returns it unchanged). */
  async reveal(benchmark: string, by: string, now = new Date()): Promise<{ reveal: Reveal; first: boolean }> {
    const mine: Reveal = { at: now.toISOString(), by };
    const set = await this.redis.set(this.key(benchmark, 'revealed'), JSON.stringify(mine), 'NX');
    if (set === 'OK') return { reveal: mine, first: true };
    return { reveal: (await this.revealed(benchmark)) ?? mine, first: false };
  }

  /** Selects a run of `model`, unless the model has `limit` selected already (checked and taken in one step). */
  async select(benchmark: string, model: string, runId: string, limit: number): Promise<SelectOutcome> {
    const [ok, selected] = (await runCommand(this.redis, 'selectRun', [this.key(benchmark, `selected:${model}`), this.key(benchmark, 'selected')], [runId, limit])) as [number, string[]?];
    return ok === 1 ? { ok: true } : { ok: false, limit, selected: (selected ?? []).sort() };
  }

  async unselect(benchmark: string, model: string, runId: string): Promise<void> {
    await this.redis
      .multi()
      .srem(this.key(benchmark, `selected:${model}`), runId)
      .srem(this.key(benchmark, 'selected'), runId)
      .exec();
  }

  async isSelected(benchmark: string, runId: string): Promise<boolean> {
    return (await this.redis.sismember(this.key(benchmark, 'selected'), runId)) === 1;
  }

  /** Every selected run of the benchmark, whichever model. */
  async selected(benchmark: string): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.key(benchmark, 'selected')));
  }
}
