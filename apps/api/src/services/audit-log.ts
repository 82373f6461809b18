import type { Redis } from 'ioredis';
import { AuditEntry } from '@modelrun/contracts';
import { viaRedis } from './errors';

/** What an entry says, before it gets its id and time. */
export interface AuditEvent {
  /** The acting user (`local` with no tokens configured). */
  actor: string;
  /** e.g. `user.created`, `token.revoked`, `run.cancelled`. */
  action: string;
  /** What it was done to: `user:alice`, `token:<id>`, `run:<id>`. */
  target: string;
  /** The caller's address as Express saw it (TRUST_PROXY decides whether a proxy's word counts). */
  address?: string;
  details?: Record<string, string>;
}

/**
 * The audit log: a Redis stream under the deployment's prefix, so every API replica appends to
 * one log and it is as durable as the queue. Append-only through the API (nothing here edits or
 * deletes an entry); entries older than the retention are trimmed as new ones are added
 * (XADD MINID, by the time in the entry's id).
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** How long an entry is kept (AUDIT_RETENTION_DAYS). */
    private readonly retentionMs: number,
  ) {}

  private get key(): string {
    return `${this.prefix}:audit`;
  }

  async record(e: AuditEvent, now = Date.now()): Promise<void> {
    const entry = { at: new Date(now).toISOString(), ...e };
    // `~`: Redis trims whole nodes, cheaply; an entry may outlive its time by a little, never less.
    await viaRedis(() => this.redis.xadd(this.key, 'MINID', '~', String(Math.max(0, now - this.retentionMs)), '*', 'e', JSON.stringify(entry)));
  }

  /** The newest entries first; `before` (an entry id) pages back. */
  async list(opts: { limit: number; before?: string }): Promise<AuditEntry[]> {
    const end = opts.before ? `(${opts.before}` : '+';
    const rows = await viaRedis(() => this.redis.xrevrange(this.key, end, '-', 'COUNT', opts.limit));
    const out: AuditEntry[] = [];
    for (const [id, fields] of rows) {
      const raw = fields[fields.indexOf('e') + 1];
      const parsed = AuditEntry.safeParse({ id, ...safeJson(raw) });
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }
}

function safeJson(raw: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw ?? '');
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
