import { z } from 'zod';

/** A role a provider's group can grant (the API's four roles). */
const ROLE_NAMES = ['admin', 'operator', 'member', 'viewer'] as const;
export type OidcRole = (typeof ROLE_NAMES)[number];

/** Single sign-on through an OpenID Connect provider (OIDC_*); off without OIDC_ISSUER. */
export interface OidcConfig {
  /** The provider's issuer URL: its discovery document is at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE alone, no client authentication at the token endpoint). Never logged. */
  clientSecret: string | undefined;
  /** Where the provider sends the browser back: this API's `/auth/oidc/callback`, as the browser reaches it. */
  redirectUrl: string;
  /** The name on the sign-in page's button. */
  providerName: string;
  scopes: string[];
  /** The claim that names the user (their modelrun user id is made from it). */
  usernameClaim: string;
  /** The claim that lists the user's groups. */
  groupsClaim: string;
  /** Which groups grant which role: `[role, group]` pairs, as listed. */
  roleGroups: [OidcRole, string][];
  /** Which groups put the user in which team: `[team, group]` pairs; the first that matches wins. */
  teamGroups: [string, string][];
  /** The role of a user in no group of roleGroups; `none` refuses them. */
  defaultRole: 'none' | 'viewer' | 'member';
}

const pairs = z.string().transform((v, ctx) => {
  const out: [string, string][] = [];
  for (const item of v.split(',').map((s) => s.trim())) {
    if (!item) continue;
    // The group is everything after the first colon: group names may hold colons (URNs), ids never do.
    const at = item.indexOf(':');
    const [name, group] = at > 0 ? [item.slice(0, at).trim(), item.slice(at + 1).trim()] : ['', ''];
    if (!name || !group) {
      ctx.addIssue({ code: 'custom', message: `each entry must be name:group, comma-separated (got ${JSON.stringify(item)})` });
      return z.NEVER;
    }
    out.push([name, group]);
  }
  return out;
});

const PERSON_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The OIDC_* variables, spread into the configuration's schema. */
export const OIDC_ENV = {
  OIDC_ISSUER: z.string().optional(),
  OIDC_CLIENT_ID: z.string().optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_REDIRECT_URL: z.string().optional(),
  OIDC_PROVIDER_NAME: z.string().max(60, 'must be at most 60 characters').optional(),
  OIDC_SCOPES: z.string().default('openid profile email'),
  OIDC_USERNAME_CLAIM: z.string().default('preferred_username'),
  OIDC_GROUPS_CLAIM: z.string().default('groups'),
  OIDC_ROLE_GROUPS: pairs.default([]),
  OIDC_TEAM_GROUPS: pairs.default([]),
  OIDC_DEFAULT_ROLE: z.enum(['none', 'viewer', 'member'], { message: 'must be none, viewer or member' }).default('none'),
};

type OidcEnv = z.infer<z.ZodObject<typeof OIDC_ENV>>;

/** Loopback as a URL's host names it (IPv6 in brackets). */
const loopbackHost = (host: string): boolean => host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** An http(s) URL without credentials; plain http only to a loopback host (a provider or an API on this machine). */
function urlProblem(name: string, raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `${name}: must be an absolute URL (got ${JSON.stringify(raw)})`;
  }
  if (u.username || u.password) return `${name}: must not carry user:password@`;
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && loopbackHost(u.hostname)) return undefined;
  return `${name}: must be https:// (plain http:// only to a loopback host), got ${JSON.stringify(raw)}`;
}

/**
 * Single sign-on's configuration, or undefined when OIDC_ISSUER is unset (token sign-in only).
 * Pushes a sentence per bad variable onto `problems`.
 */
export function oidcConfig(e: OidcEnv & { API_TOKENS: readonly string[] }, problems: string[]): OidcConfig | undefined {
  if (!e.OIDC_ISSUER) {
    const stray = (['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL'] as const).filter((k) => e[k]);
    if (stray.length) problems.push(`${stray.join(', ')}: set without OIDC_ISSUER, so single sign-on is off; set OIDC_ISSUER too, or unset them`);
    return undefined;
  }
  const before = problems.length;
  if (e.API_TOKENS.length === 0) problems.push('OIDC_ISSUER: single sign-on needs API_TOKENS: without them the API serves loopback only and every caller is already its admin');
  const issuerProblem = urlProblem('OIDC_ISSUER', e.OIDC_ISSUER);
  if (issuerProblem) problems.push(issuerProblem);
  if (!e.OIDC_CLIENT_ID) problems.push('OIDC_CLIENT_ID: required with OIDC_ISSUER (the client id the provider gave this deployment)');
  if (!e.OIDC_REDIRECT_URL)
    problems.push("OIDC_REDIRECT_URL: required with OIDC_ISSUER: this API's /auth/oidc/callback as browsers reach it (e.g. https://modelrun.example/auth/oidc/callback), registered with the provider");
  else {
    const p = urlProblem('OIDC_REDIRECT_URL', e.OIDC_REDIRECT_URL);
    if (p) problems.push(p);
    else if (!new URL(e.OIDC_REDIRECT_URL).pathname.endsWith('/auth/oidc/callback'))
      problems.push(`OIDC_REDIRECT_URL: must end with /auth/oidc/callback, where the API takes the provider's answer (got ${JSON.stringify(e.OIDC_REDIRECT_URL)})`);
  }
  const scopes = e.OIDC_SCOPES.split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid')) problems.push(`OIDC_SCOPES: must include openid (got ${JSON.stringify(e.OIDC_SCOPES)})`);
  for (const [role] of e.OIDC_ROLE_GROUPS) {
    if (!(ROLE_NAMES as readonly string[]).includes(role)) problems.push(`OIDC_ROLE_GROUPS: ${JSON.stringify(role)} is not a role (admin, operator, member or viewer)`);
  }
  for (const [team] of e.OIDC_TEAM_GROUPS) {
    if (!PERSON_ID.test(team)) problems.push(`OIDC_TEAM_GROUPS: ${JSON.stringify(team)} is not a team id (1-63 of a-z 0-9 . _ -, starting with a letter or digit)`);
  }
  if (e.OIDC_ROLE_GROUPS.length === 0 && e.OIDC_DEFAULT_ROLE === 'none') {
    problems.push(
      'OIDC_ROLE_GROUPS: with OIDC_DEFAULT_ROLE=none (the default) nobody could sign in: map groups to roles (e.g. admin:mr-admins,member:mr-members), or let everyone the provider knows in with OIDC_DEFAULT_ROLE=viewer',
    );
  }
  if (problems.length > before) return undefined;
  return {
    issuer: e.OIDC_ISSUER,
    clientId: e.OIDC_CLIENT_ID!,
    clientSecret: e.OIDC_CLIENT_SECRET,
    redirectUrl: e.OIDC_REDIRECT_URL!,
    providerName: e.OIDC_PROVIDER_NAME ?? new URL(e.OIDC_ISSUER).host,
    scopes,
    usernameClaim: e.OIDC_USERNAME_CLAIM,
    groupsClaim: e.OIDC_GROUPS_CLAIM,
    roleGroups: e.OIDC_ROLE_GROUPS as [OidcRole, string][],
    teamGroups: e.OIDC_TEAM_GROUPS,
    defaultRole: e.OIDC_DEFAULT_ROLE,
  };
}
