import { useState } from 'preact/hooks';
import type { AuditPage, CreatedToken, Role, TokenInfo, TokenList, User, UserList } from '@modelrun/contracts';
import { api } from '../api';
import { timeAgo } from '../ui/format';
import { ErrorNote } from '../ui/notes';
import { usePoll } from '../ui/poll';

const ROLE_CHOICES: Role[] = ['member', 'viewer', 'operator', 'admin'];

/** A new token, shown once, with how to use it. */
function NewToken(props: { made: CreatedToken | undefined }) {
  if (!props.made) return null;
  return (
    <div class="card" role="status" data-new-token>
      <p>
        Token <strong>{props.made.name}</strong> for <strong>{props.made.user}</strong>. Copy it now: it is shown this once.
      </p>
      <p>
        <code class="mono" data-token>
          {props.made.token}
        </code>
      </p>
    </div>
  );
}

function TokenTable(props: { tokens: TokenInfo[]; onRevoke: (t: TokenInfo) => void }) {
  if (props.tokens.length === 0) return <p class="empty">No tokens.</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">User</th>
            <th scope="col">Scopes</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((t) => (
            <tr key={t.id} data-token-id={t.id}>
              <td>{t.name}</td>
              <td>{t.user}</td>
              <td>{t.scopes?.join(', ') ?? 'all'}</td>
              <td>{t.lastUsedAt ? timeAgo(t.lastUsedAt) : 'never'}</td>
              <td>{t.expiresAt ? new Date(t.expiresAt).toLocaleDateString() : 'never'}</td>
              <td>
                {t.revokedAt ? (
                  'revoked'
                ) : (
                  <button type="button" class="danger" onClick={() => props.onRevoke(t)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `/tokens`: the signed-in person's personal access tokens (an admin's: everyone's). */
export function TokensPage() {
  const list = usePoll((signal) => api<TokenList>('GET', '/v1/tokens', undefined, signal), [], 30_000);
  const [name, setName] = useState('');
  const [made, setMade] = useState<CreatedToken>();
  const [error, setError] = useState<Error>();
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      setMade(await api<CreatedToken>('POST', '/v1/tokens', { name }));
      setName('');
      list.refresh();
    } catch (err) {
      setError(err as Error);
    }
  };
  const revoke = async (t: TokenInfo) => {
    setError(undefined);
    try {
      await api('DELETE', `/v1/tokens/${encodeURIComponent(t.id)}`);
      list.refresh();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <section>
      <div class="page-head">
        <h1>Tokens</h1>
      </div>
      <p class="muted intro">Personal access tokens, for the CLI and scripts (MODELRUN_TOKEN). Revoking one also ends the browser sessions signed in with it.</p>
      <form class="card form" onSubmit={create}>
        <label>
          Name <input name="token-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required maxLength={100} />
        </label>
        <button type="submit" class="primary">
          Make a token
        </button>
      </form>
      <ErrorNote error={error ?? list.error} />
      <NewToken made={made} />
      {list.data && <TokenTable tokens={list.data.tokens} onRevoke={revoke} />}
    </section>
  );
}

/** `/admin/users`: users, their roles and teams, and a token for any of them (admins). */
export function UsersPage() {
  const list = usePoll((signal) => api<UserList>('GET', '/v1/users', undefined, signal), [], 30_000);
  const [id, setId] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [team, setTeam] = useState('');
  const [made, setMade] = useState<CreatedToken>();
  const [error, setError] = useState<Error>();
  const run = async (what: () => Promise<void>) => {
    setError(undefined);
    try {
      await what();
      list.refresh();
    } catch (err) {
      setError(err as Error);
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await api<User>('POST', '/v1/users', { id, role, ...(team && { team }) });
      setId('');
    });
  };
  const tokenFor = (u: User) => run(async () => setMade(await api<CreatedToken>('POST', '/v1/tokens', { user: u.id, name: `made by an admin` })));
  const remove = (u: User) => run(async () => void (await api('DELETE', `/v1/users/${encodeURIComponent(u.id)}`)));
  return (
    <section>
      <div class="page-head">
        <h1>Users</h1>
      </div>
      <form class="card form" onSubmit={create}>
        <label>
          User id <input name="user-id" value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} required maxLength={63} />
        </label>
        <label>
          Role{' '}
          <select name="role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
            {ROLE_CHOICES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Team (optional) <input name="team" value={team} onInput={(e) => setTeam((e.target as HTMLInputElement).value)} maxLength={63} />
        </label>
        <button type="submit" class="primary">
          Add user
        </button>
      </form>
      <ErrorNote error={error ?? list.error} />
      <NewToken made={made} />
      {list.data && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Team</th>
                <th scope="col">Source</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.users.map((u) => (
                <tr key={u.id} data-user={u.id}>
                  <td>{u.id}</td>
                  <td>{u.role}</td>
                  <td>{u.team ?? '—'}</td>
                  <td>{u.source}</td>
                  <td>
                    {u.source !== 'bootstrap' && (
                      <>
                        <button type="button" onClick={() => tokenFor(u)}>
                          Make a token
                        </button>{' '}
                        <button type="button" class="danger" onClick={() => remove(u)}>
                          Remove
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** `/admin/audit`: who changed users, teams and tokens, or cancelled someone's run, newest first (admins). */
export function AuditLogPage() {
  const page = usePoll((signal) => api<AuditPage>('GET', '/v1/audit?limit=200', undefined, signal), [], 10_000);
  return (
    <section>
      <div class="page-head">
        <h1>Audit log</h1>
      </div>
      <ErrorNote error={page.error} />
      {page.data?.entries.length === 0 && <p class="empty">Nothing audited yet.</p>}
      {page.data && page.data.entries.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
                <th scope="col">From</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {page.data.entries.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <td>{new Date(e.at).toLocaleString()}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td class="mono">{e.target}</td>
                  <td class="mono">{e.address ?? ''}</td>
                  <td>
                    {Object.entries(e.details ?? {})
                      .map(([k, v]) => `${k}: ${v}`)
                      .join('; ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
