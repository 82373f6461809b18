import type { User } from '@modelrun/contracts';
import { ALL_SCOPES } from '../authz/policy';
import type { Credential } from '../middleware/auth';
import type { IdentityStore } from '../services/identities';

/**
 * What a session opened by single sign-on keeps as its credential: `sso:<user id>@<created>`.
 * The user is read again on every request, so a role or team changed (by an admin, or by the
 * next sign-in's groups) counts at once, and deleting the user ends their sessions. The time the
 * user was made is part of it, so a user deleted and made again (perhaps for someone else)
 * does not inherit the old one's sessions.
 */
export const SSO_REF_PREFIX = 'sso:';

export function ssoRef(user: User): string {
  return `${SSO_REF_PREFIX}${user.id}@${user.createdAt}`;
}

/** The credential of an `sso:` session, or undefined once its user is gone or made again. */
export async function ssoCredential(identities: IdentityStore, ref: string): Promise<Credential | undefined> {
  const at = ref.indexOf('@');
  if (!ref.startsWith(SSO_REF_PREFIX) || at < 0) return undefined;
  const user = await identities.getUser(ref.slice(SSO_REF_PREFIX.length, at));
  if (!user || user.source !== 'sso' || user.createdAt !== ref.slice(at + 1)) return undefined;
  return {
    ref,
    principalKey: `user:${user.id}`,
    identity: { user: user.id, role: user.role, ...(user.team && { team: user.team }), scopes: ALL_SCOPES, via: 'session' },
  };
}
