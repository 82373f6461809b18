import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AuditPage, TokenList, WhoAmI } from '@modelrun/contracts';
import { type CommandResult, explain, modelrun } from '../helpers/cli';
import { type Stack, startStack } from '../helpers/stack';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
const json = <T>(r: CommandResult, schema: { parse(v: unknown): T }): T => schema.parse(JSON.parse(r.stdout));

describe('modelrun whoami, users, teams, tokens and audit (the CLI) against a real API', function () {
  // Sixteen commands, each spawning the CLI (tsx start-up: one to several seconds on a loaded machine).
  this.timeout(180_000);
  let stack: Stack;
  const as =
    (token: string) =>
    (...args: string[]) =>
      modelrun(args, { MODELRUN_URL: stack.api.url, MODELRUN_TOKEN: token });
  const admin = (...args: string[]) => as(ADMIN_TOKEN)(...args);

  before(async () => {
    stack = await startStack({ workers: 0, env: { API_TOKENS: ADMIN_TOKEN } });
  });
  after(async () => {
    await stack?.stop();
  });

  it('an admin makes a team, a user in it and a token for them; the user sees themselves and only their own tokens', async () => {
    const me = await admin('whoami');
    assert.equal(me.status, 0, explain(me));
    assert.match(me.stdout, /role:\s+admin/);
    assert.match(me.stdout, /via:\s+api-token/);

    // The team by the API (every CLI start costs seconds on a loaded machine), the user by the CLI.
    assert.equal((await stack.http.post('/v1/teams').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ id: 'red' })).status, 201);
    const added = await admin('users', 'add', 'ana', '--role', 'member', '--team', 'red');
    assert.equal(added.status, 0, explain(added));
    assert.match(added.stdout, /team:\s+red/);

    const made = await admin('tokens', 'create', 'laptop', '--user', 'ana', '--scope', 'read', 'submit');
    assert.equal(made.status, 0, explain(made));
    const token = made.stdout.split('\n')[0]!;
    assert.match(token, /^mrp_/);
    assert.match(made.stdout, /shown this once/);

    const who = json(await as(token)('whoami', '--json'), WhoAmI);
    assert.deepEqual([who.user, who.role, who.team, who.scopes], ['ana', 'member', 'red', ['read', 'submit']]);
    const mine = TokenList.parse((await stack.http.get('/v1/tokens').set('Authorization', `Bearer ${token}`)).body);
    assert.deepEqual(
      mine.tokens.map((t) => [t.user, t.name]),
      [['ana', 'laptop']],
    );

    // A member is refused the admin's commands, with the missing role named (exit 3: refused).
    const refused = await as(token)('users');
    assert.equal(refused.status, 3, explain(refused));
    assert.match(refused.stderr, /needs the role admin \(you are member\)/);

    const changed = await admin('users', 'set', 'ana', '--role', 'viewer', '--no-team');
    assert.equal(changed.status, 0, explain(changed));
    assert.match(changed.stdout, /role:\s+viewer/);
    assert.match(changed.stdout, /team:\s+\(none\)/);

    const revoked = await admin('tokens', 'revoke', mine.tokens[0]!.id);
    assert.equal(revoked.status, 0, explain(revoked));
    assert.equal((await stack.http.get('/v1/whoami').set('Authorization', `Bearer ${token}`)).status, 401);

    const audit = json(await admin('audit', '--json'), AuditPage);
    const actions = audit.entries.map((e) => `${e.action} ${e.target}`);
    for (const a of ['team.created team:red', 'user.created user:ana', 'user.updated user:ana', `token.revoked token:${mine.tokens[0]!.id}`])
      assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
  });
});
