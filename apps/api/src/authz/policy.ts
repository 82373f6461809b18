import type { Role, Scope } from '@modelrun/contracts';

/** Who a request acts for, as authentication found it. */
export interface Principal {
  user: string;
  role: Role;
  team?: string;
  /** What this credential may be used for (a token's scopes; every scope otherwise). */
  scopes: readonly Scope[];
}

/** Everything a route can ask to do. Each route of the API names one (see ./routes.ts). */
export const ACTIONS = [
  'models.read',
  'benchmarks.read',
  'docs.read',
  'whoami',
  'runs.submit',
  'runs.read',
  'runs.cancel',
  'runs.logs',
  'runs.rerun',
  'queues.view',
  'users.read',
  'users.manage',
  'teams.read',
  'teams.manage',
  'tokens.read',
  'tokens.manage',
  'audit.read',
  'runs.prioritize',
  'fleet.read',
  'fleet.manage',
  'benchmarks.private',
  'benchmarks.reveal',
  'runs.select',
  'runs.results',
  'runs.rescore',
] as const;
export type Action = (typeof ACTIONS)[number];

/** Whose a thing is: a run's submitter, a token's user. Absent owner: made before users existed. */
export interface Owned {
  user?: string;
  team?: string;
}

export type Verdict = { kind: 'allow' } | { kind: 'deny'; reason: string } | { kind: 'hidden' };

/** Whose things a role reaches: every one's, or only its own (and its team's where the rule says so). */
type Reach = 'all' | 'own' | 'own-or-team';

interface Rule {
  /** The scope a token needs for it; undefined: any credential. */
  scope?: Scope;
  /** The roles that may do it, and how far each reaches when the action is on someone's thing. */
  roles: Partial<Record<Role, Reach>>;
  /**
   * A role that may see the thing (by `runs.read`) but not do this to it is told so (403); one
   * that may not see it gets a 404, so ids cannot be probed.
   */
  visibleThrough?: Action;
}

const EVERYONE: Rule['roles'] = { admin: 'all', operator: 'all', member: 'all', viewer: 'all' };

/**
 * The one authorization policy. The leaderboards, model pages and benchmarks are public to
 * every role; runs belong to their submitter and team; people and audit are the admins'.
 */
const RULES: Record<Action, Rule> = {
  'models.read': { scope: 'read', roles: EVERYONE },
  'benchmarks.read': { scope: 'read', roles: EVERYONE },
  'docs.read': { roles: EVERYONE },
  whoami: { roles: EVERYONE },
  'runs.submit': { scope: 'submit', roles: { admin: 'all', operator: 'all', member: 'all' } },
  'runs.read': { scope: 'read', roles: { admin: 'all', operator: 'all', member: 'own-or-team', viewer: 'own-or-team' } },
  'runs.cancel': { scope: 'submit', roles: { admin: 'all', operator: 'all', member: 'own-or-team' }, visibleThrough: 'runs.read' },
  'runs.logs': { scope: 'read', roles: { admin: 'all', operator: 'all', member: 'own', viewer: 'own' }, visibleThrough: 'runs.read' },
  // A re-run spends the fleet outside anyone's quota: operators and admins only (issue 18, 19).
  'runs.rerun': { scope: 'submit', roles: { admin: 'all', operator: 'all' } },
  'queues.view': { scope: 'read', roles: { admin: 'all', operator: 'all' } },
  'users.read': { scope: 'read', roles: { admin: 'all' } },
  'users.manage': { scope: 'admin', roles: { admin: 'all' } },
  'teams.read': { scope: 'read', roles: { admin: 'all' } },
  'teams.manage': { scope: 'admin', roles: { admin: 'all' } },
  // Everyone manages their own tokens; an admin anyone's.
  'tokens.read': { scope: 'read', roles: { admin: 'all', operator: 'own', member: 'own', viewer: 'own' } },
  'tokens.manage': { scope: 'admin', roles: { admin: 'all', operator: 'own', member: 'own', viewer: 'own' } },
  'audit.read': { scope: 'read', roles: { admin: 'all' } },
  // A run's own priority puts it before other people's runs (issue 23): the operators' call.
  'runs.prioritize': { scope: 'submit', roles: { admin: 'all', operator: 'all' } },
  // The fleet view, a host's drain and a queue's pause: the operators' work.
  'fleet.read': { scope: 'read', roles: { admin: 'all', operator: 'all' } },
  'fleet.manage': { scope: 'admin', roles: { admin: 'all', operator: 'all' } },
  // The private board decides a season: those who run it see it before it is revealed (issue 19).
  'benchmarks.private': { scope: 'read', roles: { admin: 'all', operator: 'all' } },
  // Revealing it is for good, and audited: the admins' call.
  'benchmarks.reveal': { scope: 'admin', roles: { admin: 'all' } },
  // Which runs stand for a model on the private board is its submitter's (and their team's) choice; an admin may fix it.
  'runs.select': { scope: 'submit', roles: { admin: 'all', operator: 'own-or-team', member: 'own-or-team' }, visibleThrough: 'runs.read' },
  // A run's kept predictions and detailed results: its submitter's (not their team's), and the operators'; to anyone else it is not there (404).
  'runs.results': { scope: 'read', roles: { admin: 'all', operator: 'all', member: 'own', viewer: 'own' } },
  // Re-scoring a run, or a benchmark's runs in bulk, and reading its progress: the operators' work, audited (issue 19).
  'runs.rescore': { scope: 'submit', roles: { admin: 'all', operator: 'all' } },
};

const ROLE_LIST = (roles: Rule['roles']): string => Object.keys(roles).join(' or ');

/**
 * May `p` do `action` (to `thing`, when the action is on someone's run or token)? Without a
 * thing only the role and the scope are judged: the route's first check, before the thing is
 * read; the handler asks again with the thing.
 */
export function decide(p: Principal, action: Action, thing?: Owned): Verdict {
  const rule = RULES[action];
  if (rule.scope && !p.scopes.includes(rule.scope)) {
    return { kind: 'deny', reason: `${action} needs a token with the ${rule.scope} scope (this one has: ${p.scopes.join(', ') || 'none'})` };
  }
  const reach = rule.roles[p.role];
  if (!reach) return { kind: 'deny', reason: `${action} needs the role ${ROLE_LIST(rule.roles)} (you are ${p.role})` };
  if (!thing || reaches(reach, p, thing)) return { kind: 'allow' };
  if (rule.visibleThrough && decide(p, rule.visibleThrough, thing).kind === 'allow') {
    return { kind: 'deny', reason: `${action} on this is only for ${reach === 'own' ? 'its owner' : "its owner's team"}${ownerWords(thing)}, or an ${ROLE_LIST(allRoles(rule))}` };
  }
  return { kind: 'hidden' };
}

function reaches(reach: Reach, p: Principal, thing: Owned): boolean {
  if (reach === 'all') return true;
  if (thing.user !== undefined && thing.user === p.user) return true;
  return reach === 'own-or-team' && p.team !== undefined && thing.team === p.team;
}

function ownerWords(thing: Owned): string {
  return thing.user ? ` (${thing.user})` : '';
}

function allRoles(rule: Rule): Rule['roles'] {
  return Object.fromEntries(Object.entries(rule.roles).filter(([, r]) => r === 'all'));
}

/** Every scope, as a credential without scopes has. */
export const ALL_SCOPES: readonly Scope[] = ['read', 'submit', 'admin'];
