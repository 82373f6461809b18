import type { OidcConfig } from '@modelrun/config';
import type { User } from '@modelrun/contracts';
import type { AuditLog } from '../services/audit-log';
import { Conflict, Forbidden } from '../services/errors';
import type { IdentityStore } from '../services/identities';
import { groupsOf, mapGroups, userIdFrom } from './mapping';
import type { SignedInClaims } from './oidc-client';
import type { SsoStore } from './sso-store';

/**
 * What a verified sign-in makes of the person: their user, made at the first sign-in and brought
 * in line with their groups at every later one (the provider's groups are the truth for SSO
 * users: a role an admin gives one lasts until their next sign-in). Each sign-in, and each one
 * refused for want of a mapped group, is written to the audit log.
 */
export class SsoSignIn {
  constructor(
    private readonly identities: IdentityStore,
    private readonly audit: AuditLog,
    private readonly store: SsoStore,
    private readonly config: Pick<OidcConfig, 'providerName' | 'usernameClaim' | 'groupsClaim' | 'roleGroups' | 'teamGroups' | 'defaultRole'>,
  ) {}

  async signIn(who: SignedInClaims, address: string | undefined, now = new Date()): Promise<{ user: User; created: boolean }> {
    const linkedId = await this.store.linkedUser(who.issuer, who.subject);
    const linked = linkedId ? await this.identities.getUser(linkedId) : undefined;
    // A link to a user that is gone (deleted by an admin) or not an SSO user counts for nothing.
    const existing = linked?.source === 'sso' ? linked : undefined;
    const id = existing?.id ?? userIdFrom(who.claims[this.config.usernameClaim]);
    const where = { ...(address && { address }) };
    const mapped = mapGroups(groupsOf(who.claims[this.config.groupsClaim]), this.config);
    if (!mapped.ok) {
      await this.audit.record({
        actor: id ?? `sso:${who.subject}`,
        action: 'sso.refused',
        target: `user:${id ?? '(none)'}`,
        ...where,
        details: { provider: this.config.providerName, reason: 'no mapped group' },
      });
      throw new Forbidden(mapped.reason);
    }
    if (!id) {
      throw new Forbidden(`the sign-in provider sent no usable ${JSON.stringify(this.config.usernameClaim)} claim to name you by (OIDC_USERNAME_CLAIM); ask an administrator`);
    }
    if (mapped.team) await this.ensureTeam(mapped.team, id, where, now);

    let user: User;
    const details: Record<string, string> = { provider: this.config.providerName, role: mapped.role, ...(mapped.team && { team: mapped.team }) };
    if (existing) {
      user = { ...existing, role: mapped.role };
      if (mapped.team) user.team = mapped.team;
      else delete user.team;
      if (existing.role !== user.role) details.roleChanged = `${existing.role} -> ${user.role}`;
      if (existing.team !== user.team) details.teamChanged = `${existing.team ?? '(none)'} -> ${user.team ?? '(none)'}`;
      if (details.roleChanged || details.teamChanged) await this.identities.putUser(user);
    } else {
      const taken = await this.identities.getUser(id);
      if (taken) {
        // Never sign someone in as a user another account (or an admin) made: that would hand it over.
        await this.audit.record({ actor: id, action: 'sso.refused', target: `user:${id}`, ...where, details: { provider: this.config.providerName, reason: 'user id taken' } });
        throw new Conflict(`a user ${id} already exists and was not made by your sign-in; ask an administrator to remove or rename that user`);
      }
      const name = who.claims.name;
      user = await this.identities.createUser({
        id,
        role: mapped.role,
        ...(mapped.team && { team: mapped.team }),
        ...(typeof name === 'string' && name.trim() && { displayName: name.trim().slice(0, 200) }),
        source: 'sso',
        createdAt: now.toISOString(),
      });
      await this.store.link(who.issuer, who.subject, id);
      details.created = 'yes';
    }
    await this.audit.record({ actor: id, action: 'sso.signin', target: `user:${id}`, ...where, details });
    return { user, created: !existing };
  }

  /** A team named in OIDC_TEAM_GROUPS is made at the first sign-in that needs it. */
  private async ensureTeam(team: string, actor: string, where: { address?: string }, now: Date): Promise<void> {
    if ((await this.identities.listTeams()).some((t) => t.id === team)) return;
    try {
      await this.identities.createTeam({ id: team, description: 'made at a single sign-on (OIDC_TEAM_GROUPS)', createdAt: now.toISOString() });
    } catch (err) {
      // Another sign-in made it a moment ago.
      if (err instanceof Conflict) return;
      throw err;
    }
    await this.audit.record({ actor, action: 'team.created', target: `team:${team}`, ...where, details: { via: 'sso' } });
  }
}
