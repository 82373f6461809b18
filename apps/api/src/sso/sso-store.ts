import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { viaRedis } from '../services/errors';

/** What the API keeps of a sign-in under way, between the redirect to the provider and its answer. */
const Flow = z.strictObject({
  state: z.string(),
  nonce: z.string(),
  /** PKCE's secret half: the provider saw only its hash. */
  codeVerifier: z.string(),
  /** Where to send the browser once signed in: a path on this site. */
  next: z.string(),
});
export type Flow = z.infer<typeof Flow>;

/** How long a browser may take at the provider (login, consent) before its sign-in must start again. */
export const FLOW_TTL_SECONDS = 600;

const digest = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Single sign-on's state in Redis, under the deployment's prefix.
 *
 * Flows: the state, nonce and PKCE verifier of each sign-in under way, server-side, under a digest
 * of a random id the browser holds in a short-lived cookie. Taking a flow deletes it (GETDEL),
 * so a provider's answer is used once: a replayed callback finds nothing.
 *
 * Links: which user each provider account (issuer and `sub`, the one claim a provider promises
 * never to reassign) signed in as. A user name from the provider can change or be reused; the
 * link cannot, so an account signs in as the same user, and never as a user it did not create.
 */
export class SsoStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private flowKey(id: string): string {
    return `${this.prefix}:sso:flow:${digest(id)}`;
  }

  private get linksKey(): string {
    return `${this.prefix}:id:sso-links`;
  }

  /** @returns the id the browser keeps (in a cookie) to find this flow again. */
  async startFlow(flow: Flow): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await viaRedis(() => this.redis.set(this.flowKey(id), JSON.stringify(Flow.parse(flow)), 'EX', FLOW_TTL_SECONDS));
    return id;
  }

  /** The flow with this id, removed as it is read; undefined when unknown, expired or already used. */
  async takeFlow(id: string): Promise<Flow | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const raw = await viaRedis(() => this.redis.getdel(this.flowKey(id)));
    if (raw === null) return undefined;
    const parsed = Flow.safeParse(safeJson(raw));
    return parsed.success ? parsed.data : undefined;
  }

  /** The user a provider account signed in as before, if any. */
  async linkedUser(issuer: string, subject: string): Promise<string | undefined> {
    const user = await viaRedis(() => this.redis.hget(this.linksKey, linkField(issuer, subject)));
    return user ?? undefined;
  }

  async link(issuer: string, subject: string, user: string): Promise<void> {
    await viaRedis(() => this.redis.hset(this.linksKey, linkField(issuer, subject), user));
  }
}

/** Issuer and subject, JSON-encoded together so no choice of either can forge another pair's field. */
function linkField(issuer: string, subject: string): string {
  return JSON.stringify([issuer, subject]);
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
