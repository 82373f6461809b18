import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type CreatedToken, type Scope, Team, TokenInfo, User } from '@modelrun/contracts';
import { ALL_SCOPES, type Principal } from '../authz/policy';
import { Conflict, InvalidRequest, viaRedis } from './errors';

const digest = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A personal access token starts with this, so a leaked one is easy to recognise (and scan for). */
export const TOKEN_PREFIX = 'mrp_';

/** What a valid token or session resolves to. */
export interface Resolved {
  principal: Principal;
  token: TokenInfo;
}

/** How often one token's last-used time is written, at most (per API process). */
const LAST_USED_EVERY_MS = 60_000;

/**
 * Users, teams and personal access tokens, in Redis under the deployment's prefix: the same
 * Redis the queue already keeps durable (AOF on, `noeviction`, checked at start), so a restore
 * of its AOF or RDB brings people back with the queue; no key expires. Tokens are kept only as
 * SHA-256 digests: a copy of the data cannot be used to sign in.
 *
 * `bootstrap` users are the API_TOKENS entries (admins, `token-<fingerprint>`): known from the
 * configuration, never written, so an existing deployment needs no migration.
 */
export class IdentityStore {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly bootstrap: ReadonlyMap<string, User> = new Map(),
  ) {}

  private key(what: 'users' | 'teams' | 'tokens' | 'token-digests' | 'token-used'): string {
    return `${this.prefix}:id:${what}`;
  }

  async getUser(id: string): Promise<User | undefined> {
    const boot = this.bootstrap.get(id);
    if (boot) return boot;
    const raw = await viaRedis(() => this.redis.hget(this.key('users'), id));
    return raw === null ? undefined : User.parse(JSON.parse(raw));
  }

  async listUsers(): Promise<User[]> {
    const all = await viaRedis(() => this.redis.hvals(this.key('users')));
    return [...this.bootstrap.values(), ...all.map((raw) => User.parse(JSON.parse(raw)))].sort((a, b) => a.id.localeCompare(b.id));
  }

  async createUser(user: User): Promise<User> {
    if (this.bootstrap.has(user.id)) throw new Conflict(`user ${user.id} already exists`);
    if (user.team !== undefined) await this.mustHaveTeam(user.team);
    const added = await viaRedis(() => this.redis.hsetnx(this.key('users'), user.id, JSON.stringify(User.parse(user))));
    if (!added) throw new Conflict(`user ${user.id} already exists`);
    return user;
  }

  async putUser(user: User): Promise<User> {
    if (this.bootstrap.has(user.id)) throw new InvalidRequest(`user ${user.id} comes from API_TOKENS: change it there`);
    if (user.team !== undefined) await this.mustHaveTeam(user.team);
    await viaRedis(() => this.redis.hset(this.key('users'), user.id, JSON.stringify(User.parse(user))));
    return user;
  }

  /** Removes a user and revokes every token of theirs (so their sessions end too). */
  async deleteUser(id: string): Promise<boolean> {
    if (this.bootstrap.has(id)) throw new InvalidRequest(`user ${id} comes from API_TOKENS: remove the token there`);
    for (const t of await this.listTokens(id)) if (!t.revokedAt) await this.revokeToken(t.id);
    return (await viaRedis(() => this.redis.hdel(this.key('users'), id))) === 1;
  }

  async listTeams(): Promise<Team[]> {
    const all = await viaRedis(() => this.redis.hvals(this.key('teams')));
    return all.map((raw) => Team.parse(JSON.parse(raw))).sort((a, b) => a.id.localeCompare(b.id));
  }

  async createTeam(team: Team): Promise<Team> {
    const added = await viaRedis(() => this.redis.hsetnx(this.key('teams'), team.id, JSON.stringify(Team.parse(team))));
    if (!added) throw new Conflict(`team ${team.id} already exists`);
    return team;
  }

  /** Removes an empty team; one with members is a Conflict (move them out first). */
  async deleteTeam(id: string): Promise<boolean> {
    const members = (await this.listUsers()).filter((u) => u.team === id).map((u) => u.id);
    if (members.length) throw new Conflict(`team ${id} still has members (${members.join(', ')}): move them out first`);
    return (await viaRedis(() => this.redis.hdel(this.key('teams'), id))) === 1;
  }

  private async mustHaveTeam(id: string): Promise<void> {
    const exists = await viaRedis(() => this.redis.hexists(this.key('teams'), id));
    if (!exists) throw new InvalidRequest(`team: there is no team ${JSON.stringify(id)} (make it with POST /v1/teams)`);
  }

  /** Makes a token for `user`; the token itself is in the answer only. */
  async createToken(user: string, opts: { name: string; scopes?: Scope[]; expiresAt?: string }, now = new Date()): Promise<CreatedToken> {
    const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const info: TokenInfo = {
      id: randomBytes(9).toString('base64url'),
      user,
      name: opts.name,
      ...(opts.scopes && { scopes: [...new Set(opts.scopes)] }),
      createdAt: now.toISOString(),
      ...(opts.expiresAt && { expiresAt: opts.expiresAt }),
    };
    await viaRedis(() => this.redis.multi().hset(this.key('tokens'), info.id, JSON.stringify(info)).hset(this.key('token-digests'), digest(secret), info.id).exec());
    return { ...info, token: secret };
  }

  async getToken(id: string): Promise<TokenInfo | undefined> {
    const [raw, used] = await viaRedis(() => Promise.all([this.redis.hget(this.key('tokens'), id), this.redis.hget(this.key('token-used'), id)]));
    if (raw === null) return undefined;
    const info = TokenInfo.parse(JSON.parse(raw));
    return used ? { ...info, lastUsedAt: used } : info;
  }

  /** Every token (of one user, if given), revoked ones included, newest first. */
  async listTokens(user?: string): Promise<TokenInfo[]> {
    const [all, used] = await viaRedis(() => Promise.all([this.redis.hvals(this.key('tokens')), this.redis.hgetall(this.key('token-used'))]));
    return all
      .map((raw) => TokenInfo.parse(JSON.parse(raw)))
      .filter((t) => user === undefined || t.user === user)
      .map((t) => (used[t.id] ? { ...t, lastUsedAt: used[t.id] } : t))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Marks a token revoked (kept, for the record); its digest stops resolving at once. */
  async revokeToken(id: string, now = new Date()): Promise<TokenInfo | undefined> {
    const info = await this.getToken(id);
    if (!info) return undefined;
    if (info.revokedAt) return info;
    const revoked: TokenInfo = { ...info, revokedAt: now.toISOString() };
    delete revoked.lastUsedAt;
    await viaRedis(() => this.redis.hset(this.key('tokens'), id, JSON.stringify(revoked)));
    return revoked;
  }

  /** The principal of a presented token, or undefined (unknown, revoked, expired, user gone). */
  async resolveSecret(secret: string, now = Date.now()): Promise<Resolved | undefined> {
    if (!secret.startsWith(TOKEN_PREFIX)) return undefined;
    const id = await viaRedis(() => this.redis.hget(this.key('token-digests'), digest(secret)));
    return id === null ? undefined : this.resolveTokenId(id, now);
  }

  /** As resolveSecret, from a token's id (a browser session keeps the id of its token). */
  async resolveTokenId(id: string, now = Date.now()): Promise<Resolved | undefined> {
    const token = await this.getToken(id);
    if (!token || token.revokedAt || (token.expiresAt && Date.parse(token.expiresAt) <= now)) return undefined;
    const user = await this.getUser(token.user);
    if (!user) return undefined;
    this.touch(id, now);
    return { token, principal: { user: user.id, role: user.role, ...(user.team && { team: user.team }), scopes: token.scopes ?? ALL_SCOPES } };
  }

  /** Notes the token's last use, at most once a minute per token and process; never delays the request. */
  private touch(id: string, now: number): void {
    if ((this.lastUsedWritten.get(id) ?? 0) + LAST_USED_EVERY_MS > now) return;
    this.lastUsedWritten.set(id, now);
    this.redis.hset(this.key('token-used'), id, new Date(now).toISOString()).catch(() => undefined);
  }
}

/** The user id of an API_TOKENS entry: from its fingerprint, stable across restarts. */
export function bootstrapUserId(fingerprint: string): string {
  return `token-${fingerprint.replace(/^token:/, '')}`;
}
