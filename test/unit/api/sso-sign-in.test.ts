import assert from 'node:assert/strict';
import type { Team, User } from '@modelrun/contracts';
import type { AuditEvent, AuditLog } from '../../../apps/api/src/services/audit-log';
import { Conflict, Forbidden } from '../../../apps/api/src/services/errors';
import type { IdentityStore } from '../../../apps/api/src/services/identities';
import { ssoCredential, ssoRef } from '../../../apps/api/src/sso/session-ref';
import { SsoSignIn } from '../../../apps/api/src/sso/sign-in';
import type { SsoStore } from '../../../apps/api/src/sso/sso-store';

/** The identity store's user and team calls, in memory (the Redis store has its own integration tests). */
class MemoryIdentities {
  users = new Map<string, User>();
  teams = new Map<string, Team>();
  async getUser(id: string) {
    return this.users.get(id);
  }
  async createUser(user: User) {
    if (this.users.has(user.id)) throw new Conflict(`user ${user.id} already exists`);
    this.users.set(user.id, user);
    return user;
  }
  async putUser(user: User) {
    this.users.set(user.id, user);
    return user;
  }
  async listTeams() {
    return [...this.teams.values()];
  }
  async createTeam(team: Team) {
    this.teams.set(team.id, team);
    return team;
  }
}

const ISSUER = 'https://id.example.com';
const CONFIG = {
  providerName: 'Example ID',
  usernameClaim: 'preferred_username',
  groupsClaim: 'groups',
  roleGroups: [
    ['admin', 'mr-admins'],
    ['member', 'mr-members'],
  ] as ['admin' | 'member', string][],
  teamGroups: [['red', 'grp-red']] as [string, string][],
  defaultRole: 'none' as const,
};

describe('single sign-on: who a verified sign-in becomes', () => {
  let identities: MemoryIdentities;
  let audit: AuditEvent[];
  let links: Map<string, string>;
  let sso: SsoSignIn;
  const who = (sub: string, username: string, groups: string[]) => ({ issuer: ISSUER, subject: sub, claims: { sub, preferred_username: username, name: `The ${username}`, groups } });

  beforeEach(() => {
    identities = new MemoryIdentities();
    audit = [];
    links = new Map();
    const store = {
      linkedUser: async (iss: string, sub: string) => links.get(`${iss} ${sub}`),
      link: async (iss: string, sub: string, user: string) => void links.set(`${iss} ${sub}`, user),
    };
    const log = { record: async (e: AuditEvent) => void audit.push(e) };
    sso = new SsoSignIn(identities as unknown as IdentityStore, log as unknown as AuditLog, store as unknown as SsoStore, CONFIG);
  });

  it('makes the user at the first sign-in, with the team of their groups (made too), and links the account', async () => {
    const { user, created } = await sso.signIn(who('s-1', 'Rita.Red', ['mr-members', 'grp-red']), '10.0.0.7', new Date('2026-12-01T00:00:00Z'));
    assert.equal(created, true);
    assert.deepEqual(user, { id: 'rita.red', role: 'member', team: 'red', displayName: 'The Rita.Red', source: 'sso', createdAt: '2026-12-01T00:00:00.000Z' });
    assert.ok(identities.teams.has('red'));
    assert.equal(links.get(`${ISSUER} s-1`), 'rita.red');
    assert.deepEqual(
      audit.map((e) => [e.action, e.actor, e.target, e.address]),
      [
        ['team.created', 'rita.red', 'team:red', '10.0.0.7'],
        ['sso.signin', 'rita.red', 'user:rita.red', '10.0.0.7'],
      ],
    );
  });

  it('finds the user by the account link at a later sign-in, whatever the name claim says now, and applies the groups', async () => {
    await sso.signIn(who('s-1', 'rita', ['mr-members', 'grp-red']), undefined);
    const { user, created } = await sso.signIn(who('s-1', 'rita-renamed', ['mr-admins']), undefined);
    assert.equal(created, false);
    assert.equal(user.id, 'rita');
    assert.equal(user.role, 'admin');
    assert.equal(user.team, undefined);
    assert.equal(identities.users.get('rita')?.role, 'admin');
    assert.deepEqual(audit.at(-1)?.details, { provider: 'Example ID', role: 'admin', roleChanged: 'member -> admin', teamChanged: 'red -> (none)' });
  });

  it('never hands over a user it did not make: another account, or an admin-made user, with the same name is refused', async () => {
    await identities.createUser({ id: 'bob', role: 'admin', source: 'api', createdAt: new Date(0).toISOString() });
    await assert.rejects(sso.signIn(who('s-2', 'bob', ['mr-members']), '10.0.0.8'), (err: Error) => err instanceof Conflict && /a user bob already exists/.test(err.message));
    assert.equal(identities.users.get('bob')?.role, 'admin');
    await sso.signIn(who('s-3', 'carol', ['mr-members']), undefined);
    await assert.rejects(sso.signIn(who('s-4', 'Carol', ['mr-members']), undefined), Conflict);
    assert.deepEqual(
      audit.filter((e) => e.action === 'sso.refused').map((e) => e.details?.reason),
      ['user id taken', 'user id taken'],
    );
  });

  it('refuses a person in no mapped group, and one with no usable name, making no user', async () => {
    await assert.rejects(sso.signIn(who('s-5', 'dan', ['staff']), undefined), Forbidden);
    await assert.rejects(sso.signIn(who('s-6', '@@@', ['mr-members']), undefined), (err: Error) => err instanceof Forbidden && /no usable "preferred_username" claim/.test(err.message));
    assert.equal(identities.users.size, 0);
  });

  it('a session keeps its user while they exist; deleting them ends it, and a user made again does not inherit it', async () => {
    const { user } = await sso.signIn(who('s-7', 'erin', ['mr-members']), undefined, new Date('2026-12-01T00:00:00Z'));
    const ref = ssoRef(user);
    const ids = identities as unknown as IdentityStore;
    assert.deepEqual((await ssoCredential(ids, ref))?.identity, { user: 'erin', role: 'member', scopes: ['read', 'submit', 'admin'], via: 'session' });
    // A role changed meanwhile counts at the next request.
    identities.users.set('erin', { ...user, role: 'viewer' });
    assert.equal((await ssoCredential(ids, ref))?.identity.role, 'viewer');

    identities.users.delete('erin');
    assert.equal(await ssoCredential(ids, ref), undefined);
    const again = await sso.signIn(who('s-7', 'erin', ['mr-members']), undefined, new Date('2026-12-02T00:00:00Z'));
    assert.equal(again.created, true);
    assert.equal(await ssoCredential(ids, ref), undefined);
    assert.ok(await ssoCredential(ids, ssoRef(again.user)));
    // Only SSO users: a ref naming an API-made user resolves to nothing.
    identities.users.set('frank', { id: 'frank', role: 'admin', source: 'api', createdAt: '2026-12-01T00:00:00.000Z' });
    assert.equal(await ssoCredential(ids, 'sso:frank@2026-12-01T00:00:00.000Z'), undefined);
  });
});
