import type { CreateTeamRequest, CreateTokenRequest, CreateUserRequest, CreatedToken, Team, TokenInfo, UpdateUserRequest, User } from '@modelrun/contracts';
import { type Action, type Principal, decide } from '../authz/policy';
import type { AuditLog } from './audit-log';
import { Forbidden, InvalidRequest, NotFound } from './errors';
import type { IdentityStore } from './identities';

/** Who acts, and from where (for the audit log). */
export interface Actor extends Principal {
  address?: string;
}

/**
 * Users, teams and tokens as the API manages them: each change is judged by the policy for the
 * thing it touches and written to the audit log. The route's role check has run already; this
 * adds ownership (whose token), which only the thing can tell.
 */
export class PeopleService {
  constructor(
    private readonly store: IdentityStore,
    private readonly audit: AuditLog,
  ) {}

  private async log(actor: Actor, action: string, target: string, details?: Record<string, string>): Promise<void> {
    await this.audit.record({ actor: actor.user, action, target, ...(actor.address && { address: actor.address }), ...(details && { details }) });
  }

  listUsers(): Promise<User[]> {
    return this.store.listUsers();
  }

  async getUser(id: string): Promise<User> {
    const user = await this.store.getUser(id);
    if (!user) throw new NotFound(`no user ${id}`);
    return user;
  }

  async createUser(actor: Actor, req: CreateUserRequest, now = new Date()): Promise<User> {
    const user = await this.store.createUser({ ...req, source: 'api', createdAt: now.toISOString() });
    await this.log(actor, 'user.created', `user:${user.id}`, { role: user.role, ...(user.team && { team: user.team }) });
    return user;
  }

  async updateUser(actor: Actor, id: string, change: UpdateUserRequest): Promise<User> {
    const before = await this.getUser(id);
    if (id === actor.user && change.role !== undefined && change.role !== 'admin') {
      // An admin cannot lock themselves out by accident; another admin can demote them.
      throw new InvalidRequest('role: you cannot take the admin role from yourself; ask another admin');
    }
    const after: User = { ...before, ...(change.role && { role: change.role }), ...(change.displayName !== undefined && { displayName: change.displayName }) };
    if (change.team === null) delete after.team;
    else if (change.team !== undefined) after.team = change.team;
    await this.store.putUser(after);
    const details: Record<string, string> = {};
    if (before.role !== after.role) details.role = `${before.role} -> ${after.role}`;
    if (before.team !== after.team) details.team = `${before.team ?? '(none)'} -> ${after.team ?? '(none)'}`;
    await this.log(actor, 'user.updated', `user:${id}`, details);
    return after;
  }

  async deleteUser(actor: Actor, id: string): Promise<User> {
    if (id === actor.user) throw new InvalidRequest('you cannot delete yourself; ask another admin');
    const user = await this.getUser(id);
    if (!(await this.store.deleteUser(id))) throw new NotFound(`no user ${id}`);
    await this.log(actor, 'user.deleted', `user:${id}`);
    return user;
  }

  listTeams(): Promise<Team[]> {
    return this.store.listTeams();
  }

  async createTeam(actor: Actor, req: CreateTeamRequest, now = new Date()): Promise<Team> {
    const team = await this.store.createTeam({ ...req, createdAt: now.toISOString() });
    await this.log(actor, 'team.created', `team:${team.id}`);
    return team;
  }

  async deleteTeam(actor: Actor, id: string): Promise<Team> {
    const team = (await this.store.listTeams()).find((t) => t.id === id);
    if (!team || !(await this.store.deleteTeam(id))) throw new NotFound(`no team ${id}`);
    await this.log(actor, 'team.deleted', `team:${id}`);
    return team;
  }

  /** The caller's tokens; an admin's answer may name another user, or (`all`) everyone's. */
  async listTokens(actor: Actor, user: string | undefined): Promise<TokenInfo[]> {
    if (user === undefined) return this.store.listTokens(actor.role === 'admin' ? undefined : actor.user);
    this.judge(actor, 'tokens.read', user, `no user ${user}`);
    return this.store.listTokens(user);
  }

  async createToken(actor: Actor, req: CreateTokenRequest, now = new Date()): Promise<CreatedToken> {
    const owner = req.user ?? actor.user;
    this.judge(actor, 'tokens.manage', owner, `no user ${owner}`);
    if (!(await this.store.getUser(owner))) throw new NotFound(`no user ${owner}${owner === 'local' ? ' (with no API_TOKENS you are the local admin: make a user first)' : ''}`);
    // A token never gets more than the credential that made it.
    const scopes = req.scopes ?? (actor.scopes.length < 3 ? [...actor.scopes] : undefined);
    const beyond = (scopes ?? []).filter((s) => !actor.scopes.includes(s));
    if (beyond.length) throw new Forbidden(`scopes: your credential lacks ${beyond.join(', ')}, so it cannot give ${beyond.length > 1 ? 'them' : 'it'}`);
    const expiresAt = req.expiresInDays ? new Date(now.getTime() + req.expiresInDays * 86_400_000).toISOString() : undefined;
    const made = await this.store.createToken(owner, { name: req.name, ...(scopes && { scopes }), ...(expiresAt && { expiresAt }) }, now);
    await this.log(actor, 'token.created', `token:${made.id}`, { user: owner, name: made.name, scopes: (scopes ?? ['(all)']).join(','), ...(expiresAt && { expiresAt }) });
    return made;
  }

  async revokeToken(actor: Actor, id: string): Promise<TokenInfo> {
    const token = await this.store.getToken(id);
    if (!token) throw new NotFound(`no token ${id}`);
    this.judge(actor, 'tokens.manage', token.user, `no token ${id}`);
    const revoked = (await this.store.revokeToken(id))!;
    await this.log(actor, 'token.revoked', `token:${id}`, { user: token.user, name: token.name });
    return revoked;
  }

  /** Someone else's token or user is hidden from a non-admin: 404, as if it did not exist. */
  private judge(actor: Actor, action: Action, owner: string, hiddenMessage: string): void {
    const v = decide(actor, action, { user: owner });
    if (v.kind === 'hidden') throw new NotFound(hiddenMessage);
    if (v.kind === 'deny') throw new Forbidden(v.reason);
  }
}
