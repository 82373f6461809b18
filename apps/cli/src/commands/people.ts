import { Command, Option } from 'commander';
import { AuditPage, CreatedToken, PersonId, ROLES, SCOPES, Team, TeamList, TokenInfo, TokenList, User, UserList, WhoAmI } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { type Context, printJson } from '../context';
import { EXIT, usageError } from '../errors';
import { ago } from '../output/format';
import { formatFields, formatTable } from '../output/table';

const person = (id: string, what = 'user'): string => {
  if (!PersonId.safeParse(id).success) throw usageError(`${JSON.stringify(id)} is not a ${what} id (1-63 of a-z 0-9 . _ -)`);
  return id;
};

/** Prints `value` as JSON, or the table/fields `human` makes of it. */
function show<T>(ctx: Context, value: T, human: (v: T) => string): number {
  if (ctx.json) printJson(ctx, value);
  else ctx.term.out.write(human(value));
  return EXIT.ok;
}

const userFields = (u: User): string =>
  formatFields([
    ['user', u.id],
    ['role', u.role],
    ['team', u.team ?? '(none)'],
    ['name', u.displayName],
    ['source', u.source],
  ]);

export function whoamiCommand(deps: CliDeps): Command {
  return new Command('whoami').description('who the API takes you for: user, role, team, token scopes').action(
    action(deps, async (ctx) =>
      show(ctx, await ctx.api.get('/v1/whoami', WhoAmI), (w) =>
        formatFields([
          ['user', w.user],
          ['role', w.role],
          ['team', w.team ?? '(none)'],
          ['scopes', w.scopes.join(', ')],
          ['via', w.via === 'open' ? 'no token (an API without tokens: you are the local admin)' : w.via],
        ]),
      ),
    ),
  );
}

/** `modelrun users ...` (admins) and `modelrun teams ...`. */
export function usersCommand(deps: CliDeps): Command {
  const users = new Command('users').description('users and their roles (admins)');
  users
    .command('list', { isDefault: true })
    .description('every user')
    .action(
      action(deps, async (ctx) =>
        show(ctx, await ctx.api.get('/v1/users', UserList), (l) =>
          formatTable(
            ['USER', 'ROLE', 'TEAM', 'SOURCE', 'NAME'],
            l.users.map((u) => [u.id, u.role, u.team ?? '', u.source, u.displayName ?? '']),
          ),
        ),
      ),
    );
  users
    .command('add')
    .description('make a user')
    .argument('<id>', 'the user id (what they are shown as)')
    .addOption(new Option('--role <role>', 'their role').choices([...ROLES]).makeOptionMandatory())
    .option('--team <team>', 'their team')
    .option('--name <name>', 'a display name')
    .action(
      action(deps, async (ctx, id: string, o: { role: string; team?: string; name?: string }) => {
        const body = { id: person(id), role: o.role, ...(o.team && { team: person(o.team, 'team') }), ...(o.name && { displayName: o.name }) };
        return show(ctx, await ctx.api.post('/v1/users', body, User), userFields);
      }),
    );
  users
    .command('set')
    .description("change a user's role or team")
    .argument('<id>', 'the user id')
    .addOption(new Option('--role <role>', 'the new role').choices([...ROLES]))
    .option('--team <team>', 'the new team')
    .option('--no-team', 'take them out of their team')
    .action(
      action(deps, async (ctx, id: string, o: { role?: string; team?: string | false }) => {
        const body = { ...(o.role && { role: o.role }), ...(o.team === false ? { team: null } : o.team ? { team: person(o.team, 'team') } : {}) };
        if (Object.keys(body).length === 0) throw usageError('say what to change: --role, --team or --no-team');
        return show(ctx, await ctx.api.patch(`/v1/users/${person(id)}`, body, User), userFields);
      }),
    );
  users
    .command('remove')
    .description('remove a user and revoke their tokens')
    .argument('<id>', 'the user id')
    .action(action(deps, async (ctx, id: string) => show(ctx, await ctx.api.delete(`/v1/users/${person(id)}`, User), (u) => `removed ${u.id}; their tokens are revoked\n`)));
  return users;
}

export function teamsCommand(deps: CliDeps): Command {
  const teams = new Command('teams').description("teams: members see and cancel each other's runs (admins)");
  teams
    .command('list', { isDefault: true })
    .description('every team')
    .action(
      action(deps, async (ctx) =>
        show(ctx, await ctx.api.get('/v1/teams', TeamList), (l) =>
          formatTable(
            ['TEAM', 'CREATED', 'DESCRIPTION'],
            l.teams.map((t) => [t.id, ago(t.createdAt), t.description ?? '']),
          ),
        ),
      ),
    );
  teams
    .command('add')
    .description('make a team')
    .argument('<id>', 'the team id')
    .option('--description <text>', 'what the team is')
    .action(
      action(deps, async (ctx, id: string, o: { description?: string }) =>
        show(ctx, await ctx.api.post('/v1/teams', { id: person(id, 'team'), ...(o.description && { description: o.description }) }, Team), (t) => `made team ${t.id}\n`),
      ),
    );
  teams
    .command('remove')
    .description('remove an empty team')
    .argument('<id>', 'the team id')
    .action(action(deps, async (ctx, id: string) => show(ctx, await ctx.api.delete(`/v1/teams/${person(id, 'team')}`, Team), (t) => `removed team ${t.id}\n`)));
  return teams;
}

const tokenRow = (t: TokenInfo): string[] => [
  t.id,
  t.user,
  t.name,
  t.scopes?.join(',') ?? 'all',
  t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) < Date.now() ? 'expired' : 'active',
  t.lastUsedAt ? ago(t.lastUsedAt) : 'never',
  t.expiresAt ?? '',
];

/** `modelrun tokens ...`: personal access tokens (yours; an admin's, anyone's). */
export function tokensCommand(deps: CliDeps): Command {
  const tokens = new Command('tokens').description("personal access tokens: yours (an admin: anyone's)");
  tokens
    .command('list', { isDefault: true })
    .description("your tokens (an admin: everyone's, or --user's)")
    .option('--user <id>', "another user's tokens (admins)")
    .action(
      action(deps, async (ctx, o: { user?: string }) =>
        show(ctx, await ctx.api.get(`/v1/tokens${o.user ? `?user=${person(o.user)}` : ''}`, TokenList), (l) =>
          formatTable(['ID', 'USER', 'NAME', 'SCOPES', 'STATE', 'LAST USED', 'EXPIRES'], l.tokens.map(tokenRow)),
        ),
      ),
    );
  tokens
    .command('create')
    .description('make a token: it is printed this once')
    .argument('<name>', 'what it is for (e.g. laptop, ci)')
    .option('--user <id>', 'for another user (admins)')
    .addOption(new Option('--scope <scope...>', 'limit it to these scopes').choices([...SCOPES]))
    .option('--expires-in-days <n>', 'it stops working after this many days')
    .action(
      action(deps, async (ctx, name: string, o: { user?: string; scope?: string[]; expiresInDays?: string }) => {
        const days = o.expiresInDays === undefined ? undefined : Number(o.expiresInDays);
        if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw usageError('--expires-in-days must be a whole number of days');
        const body = { name, ...(o.user && { user: person(o.user) }), ...(o.scope && { scopes: o.scope }), ...(days && { expiresInDays: days }) };
        return show(ctx, await ctx.api.post('/v1/tokens', body, CreatedToken), (t) => `${t.token}\n(token ${t.id} for ${t.user}: shown this once, keep it somewhere safe)\n`);
      }),
    );
  tokens
    .command('revoke')
    .description('revoke a token: it and its browser sessions stop at once')
    .argument('<id>', 'the token id (from modelrun tokens list)')
    .action(action(deps, async (ctx, id: string) => show(ctx, await ctx.api.delete(`/v1/tokens/${encodeURIComponent(id)}`, TokenInfo), (t) => `revoked token ${t.id} (${t.name}) of ${t.user}\n`)));
  return tokens;
}

/** `modelrun audit`: who changed users, teams and tokens, or cancelled someone's run (admins). */
export function auditCommand(deps: CliDeps): Command {
  return new Command('audit')
    .description('the audit log, newest first: users, teams and tokens changed, runs cancelled by someone else (admins)')
    .option('--limit <n>', 'entries (1-1000, default 100)')
    .option('--before <id>', 'entries before this one (paging back)')
    .action(
      action(deps, async (ctx, o: { limit?: string; before?: string }) => {
        const q = new URLSearchParams({ ...(o.limit && { limit: o.limit }), ...(o.before && { before: o.before }) });
        const page = await ctx.api.get(`/v1/audit?${q}`, AuditPage);
        return show(ctx, page, (p) =>
          formatTable(
            ['WHEN', 'WHO', 'WHAT', 'TARGET', 'FROM', 'DETAILS'],
            p.entries.map((e) => [
              e.at,
              e.actor,
              e.action,
              e.target,
              e.address ?? '',
              Object.entries(e.details ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(' '),
            ]),
          ),
        );
      }),
    );
}
