import { z } from 'zod';

/**
 * Who may do what (issue 18). `admin`: everything, including users and tokens. `operator`: the
 * fleet, the queues and every run, but no user management. `member`: submits; sees and cancels
 * their own and their team's runs, reads their own logs. `viewer`: reads the boards.
 */
export const ROLES = ['admin', 'operator', 'member', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** What a personal access token may be used for, within its user's role. */
export const SCOPES = ['read', 'submit', 'admin'] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

/**
 * User and team ids: the same closed alphabet as model names (they appear in Redis keys and
 * records), and what a person types, so an id is also the name shown.
 */
export const PersonId = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 of a-z 0-9 . _ - and start with a letter or digit');

const Timestamp = z.iso.datetime();

/** Who submitted a run: kept in its job and its record (absent on runs from before users). */
export const Submitter = z.strictObject({
  user: z.string().max(128).describe('The submitting user'),
  team: z.string().max(128).describe("The submitter's team when it was submitted").optional(),
});
export type Submitter = z.infer<typeof Submitter>;

export const User = z.strictObject({
  id: PersonId,
  role: Role,
  team: PersonId.describe('The team the user belongs to (at most one)').optional(),
  displayName: z.string().max(200).optional(),
  /** `api` (made by an admin), `sso` (made at first sign-in), `bootstrap` (an API_TOKENS entry). */
  source: z.enum(['api', 'sso', 'bootstrap']),
  createdAt: Timestamp,
});
export type User = z.infer<typeof User>;

export const CreateUserRequest = z.strictObject({
  id: PersonId,
  role: Role,
  team: PersonId.optional(),
  displayName: z.string().max(200).optional(),
});
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

/** A change to a user: `team: null` takes them out of their team. */
export const UpdateUserRequest = z.strictObject({
  role: Role.optional(),
  team: PersonId.nullable().optional(),
  displayName: z.string().max(200).optional(),
});
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

export const Team = z.strictObject({
  id: PersonId,
  description: z.string().max(500).optional(),
  createdAt: Timestamp,
});
export type Team = z.infer<typeof Team>;

export const CreateTeamRequest = z.strictObject({ id: PersonId, description: z.string().max(500).optional() });
export type CreateTeamRequest = z.infer<typeof CreateTeamRequest>;

/** A personal access token as stored and listed: never the token itself, which is shown once. */
export const TokenInfo = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  user: PersonId,
  name: z.string().min(1).max(100),
  /** Absent: every scope the user's role allows. */
  scopes: z.array(Scope).optional(),
  createdAt: Timestamp,
  expiresAt: Timestamp.optional(),
  lastUsedAt: Timestamp.optional(),
  revokedAt: Timestamp.optional(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

export const CreateTokenRequest = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(100),
  /** Admins may make a token for another user; default: the caller. */
  user: PersonId.optional(),
  scopes: z.array(Scope).min(1).optional(),
  expiresInDays: z.number().int().positive().max(3650).optional(),
});
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

/** The answer to POST /v1/tokens: the only time the token is shown. */
export const CreatedToken = TokenInfo.extend({ token: z.string().describe('The token: shown this once, stored only as a digest') });
export type CreatedToken = z.infer<typeof CreatedToken>;

/** GET /v1/whoami: who the API takes the caller for. */
export const WhoAmI = z.strictObject({
  user: z.string(),
  role: Role,
  team: z.string().optional(),
  scopes: z.array(Scope),
  /** `token` (a personal access token), `api-token` (an API_TOKENS entry), `session`, or `open` (no tokens: loopback dev mode). */
  via: z.enum(['token', 'api-token', 'session', 'open']),
  tokenId: z.string().optional(),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

/** One entry of the audit log: who did what to what, when, from where. */
export const AuditEntry = z.strictObject({
  id: z.string(),
  at: Timestamp,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  address: z.string().optional(),
  details: z.record(z.string(), z.string()).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Entries before this id (paging back), from a previous page's last entry. */
  before: z
    .string()
    .regex(/^\d+-\d+$/)
    .optional(),
});

/** The list answers of the people routes. */
export const UserList = z.strictObject({ users: z.array(User) });
export const TeamList = z.strictObject({ teams: z.array(Team) });
export const TokenList = z.strictObject({ tokens: z.array(TokenInfo) });
export const AuditPage = z.strictObject({ entries: z.array(AuditEntry) });
export const TokenListQuery = z.strictObject({ user: PersonId.describe("An admin's: another user's tokens").optional() });
export type UserList = z.infer<typeof UserList>;
export type TeamList = z.infer<typeof TeamList>;
export type TokenList = z.infer<typeof TokenList>;
export type AuditPage = z.infer<typeof AuditPage>;
