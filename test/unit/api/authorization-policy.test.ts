import assert from 'node:assert/strict';
import type { Role, Scope } from '@modelrun/contracts';
import { ACTIONS, type Action, type Owned, type Principal, decide } from '../../../apps/api/src/authz/policy';

const ALL: Scope[] = ['read', 'submit', 'admin'];
const who = (role: Role, user = `${role}-1`, team?: string, scopes: Scope[] = ALL): Principal => ({ user, role, ...(team && { team }), scopes });

type Expect = 'allow' | 'deny' | 'hidden';

/** Role and scope only (the route's first check): every action x every role. */
const ROLE_TABLE: Record<Action, Record<Role, Expect>> = {
  'models.read': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  'benchmarks.read': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  'docs.read': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  whoami: { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  'runs.submit': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'deny' },
  'runs.read': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  'runs.cancel': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'deny' },
  'runs.logs': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  'queues.view': { admin: 'allow', operator: 'allow', member: 'deny', viewer: 'deny' },
  'users.read': { admin: 'allow', operator: 'deny', member: 'deny', viewer: 'deny' },
  'users.manage': { admin: 'allow', operator: 'deny', member: 'deny', viewer: 'deny' },
  'teams.read': { admin: 'allow', operator: 'deny', member: 'deny', viewer: 'deny' },
  'teams.manage': { admin: 'allow', operator: 'deny', member: 'deny', viewer: 'deny' },
  'tokens.read': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  'tokens.manage': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  'audit.read': { admin: 'allow', operator: 'deny', member: 'deny', viewer: 'deny' },
  'runs.prioritize': { admin: 'allow', operator: 'allow', member: 'deny', viewer: 'deny' },
  'runs.rerun': { admin: 'allow', operator: 'allow', member: 'deny', viewer: 'deny' },
  'fleet.read': { admin: 'allow', operator: 'allow', member: 'deny', viewer: 'deny' },
  'fleet.manage': { admin: 'allow', operator: 'allow', member: 'deny', viewer: 'deny' },
  'benchmarks.private': { admin: 'allow', operator: 'allow', member: 'deny', viewer: 'deny' },
  'benchmarks.reveal': { admin: 'allow', operator: 'deny', member: 'deny', viewer: 'deny' },
  'runs.select': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'deny' },
  'runs.results': { admin: 'allow', operator: 'allow', member: 'allow', viewer: 'allow' },
  'runs.rescore': { admin: 'allow', operator: 'allow', member: 'deny', viewer: 'deny' },
};

describe('the authorization policy', () => {
  it('has a row for every action', () => {
    assert.deepEqual(Object.keys(ROLE_TABLE).sort(), [...ACTIONS].sort());
  });

  for (const action of ACTIONS) {
    for (const [role, expected] of Object.entries(ROLE_TABLE[action]) as [Role, Expect][]) {
      it(`${role} ${expected === 'allow' ? 'may' : 'may not'} ${action}`, () => {
        const v = decide(who(role), action);
        assert.equal(v.kind, expected);
        if (v.kind === 'deny') assert.match(v.reason, /needs the role .* \(you are /);
      });
    }
  }

  // Ownership: [who, action, the thing's owner, verdict].
  const alice = who('member', 'alice', 'red');
  const bob = who('member', 'bob', 'red');
  const carol = who('member', 'carol', 'blue');
  const dan = who('member', 'dan');
  const vic = who('viewer', 'vic', 'red');
  const op = who('operator', 'olga');
  const ada = who('admin', 'ada');
  const alices: Owned = { user: 'alice', team: 'red' };
  const legacy: Owned = {};
  const OWNERSHIP: [Principal, Action, Owned, Expect][] = [
    [alice, 'runs.read', alices, 'allow'],
    [alice, 'runs.cancel', alices, 'allow'],
    [alice, 'runs.logs', alices, 'allow'],
    [bob, 'runs.read', alices, 'allow'],
    [bob, 'runs.cancel', alices, 'allow'],
    [bob, 'runs.logs', alices, 'deny'],
    [carol, 'runs.read', alices, 'hidden'],
    [carol, 'runs.cancel', alices, 'hidden'],
    [carol, 'runs.logs', alices, 'hidden'],
    [dan, 'runs.read', { user: 'eve' }, 'hidden'],
    [dan, 'runs.read', legacy, 'hidden'],
    [vic, 'runs.read', alices, 'allow'],
    [vic, 'runs.logs', alices, 'deny'],
    [op, 'runs.read', alices, 'allow'],
    [op, 'runs.cancel', alices, 'allow'],
    [op, 'runs.logs', alices, 'allow'],
    [op, 'runs.read', legacy, 'allow'],
    [ada, 'runs.cancel', legacy, 'allow'],
    [alice, 'runs.results', alices, 'allow'],
    [bob, 'runs.results', alices, 'hidden'],
    [carol, 'runs.results', alices, 'hidden'],
    [vic, 'runs.results', alices, 'hidden'],
    [op, 'runs.results', alices, 'allow'],
    [ada, 'runs.results', legacy, 'allow'],
    [alice, 'tokens.manage', { user: 'alice' }, 'allow'],
    [alice, 'tokens.manage', { user: 'bob' }, 'hidden'],
    [alice, 'tokens.read', { user: 'bob' }, 'hidden'],
    [op, 'tokens.manage', { user: 'alice' }, 'hidden'],
    [ada, 'tokens.manage', { user: 'alice' }, 'allow'],
    // Selecting a run for the private board (issue 19): its submitter, their team, or an admin.
    [alice, 'runs.select', alices, 'allow'],
    [bob, 'runs.select', alices, 'allow'],
    [carol, 'runs.select', alices, 'hidden'],
    [op, 'runs.select', alices, 'deny'],
    [ada, 'runs.select', alices, 'allow'],
  ];
  for (const [p, action, owner, expected] of OWNERSHIP) {
    it(`${p.user} (${p.role}${p.team ? `, team ${p.team}` : ''}) on ${owner.user ?? 'a run from before users'}'s: ${action} is ${expected}`, () => {
      const v = decide(p, action, owner);
      assert.equal(v.kind, expected, JSON.stringify(v));
      if (v.kind === 'deny') assert.match(v.reason, /only for its owner/);
    });
  }

  // Scopes: a token with fewer scopes cannot do what its role could.
  const SCOPED: [Scope[], Action, Expect][] = [
    [['read'], 'runs.read', 'allow'],
    [['read'], 'runs.submit', 'deny'],
    [['read'], 'runs.cancel', 'deny'],
    [['read'], 'tokens.manage', 'deny'],
    [['submit'], 'runs.submit', 'allow'],
    [['submit'], 'models.read', 'deny'],
    [['submit'], 'whoami', 'allow'],
    [['read', 'admin'], 'users.manage', 'allow'],
    [['read', 'submit'], 'users.manage', 'deny'],
  ];
  for (const [scopes, action, expected] of SCOPED) {
    it(`an admin's token with scopes ${scopes.join('+')}: ${action} is ${expected}`, () => {
      const v = decide(who('admin', 'ada', undefined, scopes), action);
      assert.equal(v.kind, expected);
      if (v.kind === 'deny') assert.match(v.reason, /needs a token with the \w+ scope/);
    });
  }
});
