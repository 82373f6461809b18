import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { viaRedis } from './errors';

/** What the server keeps of a browser session; the browser holds only its random id. */
const Session = z.strictObject({
  /**
   * The credential it was opened with: `token:<fingerprint>` (an API_TOKENS entry) or
   * `pat:<token id>`. Checked on every request, so revoking the token ends the session.
   */
  principal: z.string(),
  /** Sent back as `X-CSRF-Token` on every write made with the cookie. */
  csrfToken: z.string(),
  expiresAt: z.iso.datetime(),
});
export type Session = z.infer<typeof Session>;

const digest = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Browser sessions, server-side in Redis: sign-out deletes the session, so a copied cookie
 * dies with it, and every API process sees the same sessions. Keys hold a digest of the id,
 * never the id itself, and expire with the session.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Lifetime of a session from sign-in, in seconds. */
    readonly ttlSeconds: number,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:session:${digest(id)}`;
  }

  async open(principal: string): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = {
      principal,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: new Date(Date.now() + this.ttlSeconds * 1000).toISOString(),
    };
    await viaRedis(() => this.redis.set(this.key(id), JSON.stringify(session), 'EX', this.ttlSeconds));
    return { id, session };
  }

  /** @returns the live session with this id, or undefined (unknown, expired, signed out). */
  async get(id: string): Promise<Session | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const raw = await viaRedis(() => this.redis.get(this.key(id)));
    if (raw === null) return undefined;
    const parsed = Session.safeParse(safeJson(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async close(id: string): Promise<void> {
    await viaRedis(() => this.redis.del(this.key(id)));
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
