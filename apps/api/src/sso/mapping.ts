import type { OidcConfig } from '@modelrun/config';
import type { Role } from '@modelrun/contracts';

/** Strongest first: a user in several mapped groups gets the strongest of their roles. */
const ROLE_ORDER: readonly Role[] = ['admin', 'operator', 'member', 'viewer'];

/** What the provider's groups make of a user: a role and maybe a team, or a refusal saying why. */
export type Mapped = { ok: true; role: Role; team?: string; groups: string[] } | { ok: false; reason: string };

/** The configuration the mapping reads (OIDC_ROLE_GROUPS, OIDC_TEAM_GROUPS, OIDC_DEFAULT_ROLE). */
export type GroupMapping = Pick<OidcConfig, 'roleGroups' | 'teamGroups' | 'defaultRole' | 'groupsClaim'>;

/**
 * The groups claim's value as a list: providers send an array of strings, some a single string;
 * anything else counts as no groups.
 */
export function groupsOf(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === 'string');
  return [];
}

/**
 * Maps a user's groups to their role and team. The role: the strongest role any of their groups
 * grants; in no mapped group, OIDC_DEFAULT_ROLE, or a refusal when that is `none`. The team: the
 * first OIDC_TEAM_GROUPS entry (in the order written) whose group they are in; none otherwise.
 * Group names are compared exactly (case included), as the provider writes them.
 */
export function mapGroups(groups: readonly string[], mapping: GroupMapping): Mapped {
  const held = new Set(groups);
  const granted = new Set(mapping.roleGroups.filter(([, g]) => held.has(g)).map(([r]) => r));
  const role = ROLE_ORDER.find((r) => granted.has(r)) ?? (mapping.defaultRole === 'none' ? undefined : mapping.defaultRole);
  if (!role) {
    const wanted = [...new Set(mapping.roleGroups.map(([, g]) => g))].join(', ');
    return {
      ok: false,
      reason: `your account is in none of the groups this deployment maps to a role (${wanted}); the provider sent ${groups.length ? `the groups ${groups.join(', ')}` : `no groups (claim ${JSON.stringify(mapping.groupsClaim)})`}. Ask an administrator to add you to one`,
    };
  }
  const team = mapping.teamGroups.find(([, g]) => held.has(g))?.[0];
  return { ok: true, role, ...(team && { team }), groups: [...groups] };
}

/**
 * The modelrun user id made from the provider's username claim: lower case, each run of
 * characters outside a-z 0-9 . _ - becomes one `-`, leading and trailing separators dropped,
 * at most 63 characters (`Zoë.Smith@example.com` → `zoe.smith-example.com`).
 * @returns undefined when nothing usable is left.
 */
export function userIdFrom(claim: unknown): string | undefined {
  if (typeof claim !== 'string') return undefined;
  const id = claim
    .normalize('NFKD')
    // Accents fall away (é → e) rather than becoming separators.
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '')
    .slice(0, 63)
    .replace(/[._-]+$/, '');
  return id === '' ? undefined : id;
}
