import assert from 'node:assert/strict';
import { ConfigError, loadApiConfig } from '@modelrun/config';
import { type GroupMapping, groupsOf, mapGroups, userIdFrom } from '../../../apps/api/src/sso/mapping';
import { localPath } from '../../../apps/api/src/sso/routes';

const MAPPING: GroupMapping = {
  groupsClaim: 'groups',
  roleGroups: [
    ['admin', 'mr-admins'],
    ['operator', 'mr-ops'],
    ['member', 'mr-members'],
    ['member', 'contractors'],
    ['viewer', 'mr-viewers'],
  ],
  teamGroups: [
    ['red', 'grp-red'],
    ['blue', 'grp-blue'],
  ],
  defaultRole: 'none',
};

describe('single sign-on: groups to role and team', () => {
  const cases: [string, string[], Partial<GroupMapping>, string | undefined, string | undefined][] = [
    //  what                                     groups                              config              role        team
    ['one role group', ['mr-ops'], {}, 'operator', undefined],
    ['the strongest role wins, whatever the order', ['mr-viewers', 'mr-admins', 'mr-members'], {}, 'admin', undefined],
    ['a role granted by a second group', ['contractors'], {}, 'member', undefined],
    ['a team with the role', ['mr-members', 'grp-blue'], {}, 'member', 'blue'],
    ['two team groups: the first listed in OIDC_TEAM_GROUPS wins', ['grp-blue', 'grp-red', 'mr-members'], {}, 'member', 'red'],
    ['groups the mapping does not name are ignored', ['mr-members', 'staff', 'everyone'], {}, 'member', undefined],
    ['names match exactly: case counts', ['MR-ADMINS', 'mr-viewers'], {}, 'viewer', undefined],
    ['no role group, default viewer', ['grp-red'], { defaultRole: 'viewer' }, 'viewer', 'red'],
    ['no groups at all, default member', [], { defaultRole: 'member' }, 'member', undefined],
  ];
  for (const [what, groups, config, role, team] of cases) {
    it(what, () => {
      const mapped = mapGroups(groups, { ...MAPPING, ...config });
      assert.ok(mapped.ok, JSON.stringify(mapped));
      assert.equal(mapped.role, role);
      assert.equal(mapped.team, team);
    });
  }

  it('no role group and OIDC_DEFAULT_ROLE=none: refused, saying which groups would do and which came', () => {
    const refused = mapGroups(['grp-red', 'staff'], MAPPING);
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.reason : '', /none of the groups .*\(mr-admins, mr-ops, mr-members, contractors, mr-viewers\).*the groups grp-red, staff/);
    const none = mapGroups([], MAPPING);
    assert.match(!none.ok ? none.reason : '', /no groups \(claim "groups"\)/);
  });

  it('reads the groups claim as providers send it', () => {
    assert.deepEqual(groupsOf(['a', 'b']), ['a', 'b']);
    assert.deepEqual(groupsOf('solo'), ['solo']);
    assert.deepEqual(groupsOf(['a', 7, null, { g: 1 }, 'b']), ['a', 'b']);
    assert.deepEqual(groupsOf(undefined), []);
    assert.deepEqual(groupsOf({ admin: true }), []);
  });

  it('makes user ids from the username claim', () => {
    assert.equal(userIdFrom('alice'), 'alice');
    assert.equal(userIdFrom('Alice.Smith@Example.com'), 'alice.smith-example.com');
    assert.equal(userIdFrom('Zoë Brontë'), 'zoe-bronte');
    assert.equal(userIdFrom('  --bob__  '), 'bob');
    assert.equal(userIdFrom('x'.repeat(80)), 'x'.repeat(63));
    assert.equal(userIdFrom('a'.repeat(62) + '-b'), 'a'.repeat(62));
    for (const unusable of ['', '@@@', '日本', 42, undefined, ['alice']]) assert.equal(userIdFrom(unusable), undefined, String(unusable));
  });

  it('sends the browser back only to a path of this site', () => {
    assert.equal(localPath('/runs/1?x=2#y'), '/runs/1?x=2#y');
    assert.equal(localPath('/admin/queues'), '/admin/queues');
    for (const away of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'evil', '', undefined, ['/a'], '/\t/evil.example']) {
      const path = localPath(away);
      assert.ok(path.startsWith('/') && !path.startsWith('//'), `${JSON.stringify(away)} -> ${path}`);
      assert.equal(new URL(path, 'http://here.example').host, 'here.example', `${JSON.stringify(away)} -> ${path}`);
    }
  });
});

describe('single sign-on: configuration', () => {
  const TOKEN = 'a3f9c2e17b8d4a6f0c5e9b2d7a1f8c3e6b4d';
  const base = {
    API_TOKENS: TOKEN,
    OIDC_ISSUER: 'https://id.example.com/realms/ml',
    OIDC_CLIENT_ID: 'modelrun',
    OIDC_REDIRECT_URL: 'https://modelrun.example/auth/oidc/callback',
    OIDC_ROLE_GROUPS: 'admin:mr-admins',
  };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadApiConfig(env);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it('is off without OIDC_ISSUER', () => {
    assert.equal(loadApiConfig({ API_TOKENS: TOKEN }).oidc, undefined);
  });

  it('reads the mapping, with its defaults', () => {
    const c = loadApiConfig({
      ...base,
      OIDC_ROLE_GROUPS: 'admin:mr-admins, operator:urn:grp:ops ,member:mr-members',
      OIDC_TEAM_GROUPS: 'red:grp-red,blue:grp-blue',
      OIDC_CLIENT_SECRET: 's3cret',
    }).oidc;
    assert.ok(c);
    assert.deepEqual(c.roleGroups, [
      ['admin', 'mr-admins'],
      ['operator', 'urn:grp:ops'],
      ['member', 'mr-members'],
    ]);
    assert.deepEqual(c.teamGroups, [
      ['red', 'grp-red'],
      ['blue', 'grp-blue'],
    ]);
    assert.equal(c.providerName, 'id.example.com');
    assert.deepEqual(c.scopes, ['openid', 'profile', 'email']);
    assert.equal(c.groupsClaim, 'groups');
    assert.equal(c.usernameClaim, 'preferred_username');
    assert.equal(c.defaultRole, 'none');
    assert.equal(c.clientSecret, 's3cret');
  });

  it('names every bad variable, and never echoes the client secret', () => {
    const found = problems({
      API_TOKENS: TOKEN,
      OIDC_ISSUER: 'http://id.example.com',
      OIDC_CLIENT_SECRET: 'hunter2-hunter2',
      OIDC_REDIRECT_URL: 'https://modelrun.example/callback',
      OIDC_ROLE_GROUPS: 'boss:mr-admins,nocolon',
    });
    assert.ok(
      found.some((p) => /^OIDC_ROLE_GROUPS: each entry must be name:group/.test(p)),
      found.join('\n'),
    );
    const more = problems({
      API_TOKENS: TOKEN,
      OIDC_ISSUER: 'http://id.example.com',
      OIDC_REDIRECT_URL: 'https://modelrun.example/callback',
      OIDC_ROLE_GROUPS: 'boss:mr-admins',
      OIDC_TEAM_GROUPS: 'Red Team:grp',
      OIDC_SCOPES: 'profile',
    });
    for (const expected of [
      /^OIDC_ISSUER: must be https:\/\//,
      /^OIDC_CLIENT_ID: required/,
      /^OIDC_REDIRECT_URL: must end with \/auth\/oidc\/callback/,
      /^OIDC_ROLE_GROUPS: "boss" is not a role/,
      /^OIDC_TEAM_GROUPS: "Red Team" is not a team id/,
      /^OIDC_SCOPES: must include openid/,
    ]) {
      assert.ok(
        more.some((p) => expected.test(p)),
        `${expected} not in:\n${more.join('\n')}`,
      );
    }
    assert.ok(!found.join('\n').includes('hunter2'));
  });

  it('refuses settings under which nobody, or everybody, would be signed in wrongly', () => {
    assert.match(problems({ ...base, OIDC_ROLE_GROUPS: '' }).join('\n'), /nobody could sign in/);
    assert.deepEqual(problems({ ...base, OIDC_ROLE_GROUPS: '', OIDC_DEFAULT_ROLE: 'viewer' }), []);
    assert.match(problems({ ...base, OIDC_DEFAULT_ROLE: 'admin' }).join('\n'), /OIDC_DEFAULT_ROLE: must be none, viewer or member/);
    assert.match(problems({ ...base, API_TOKENS: '' }).join('\n'), /single sign-on needs API_TOKENS/);
    assert.match(problems({ API_TOKENS: TOKEN, OIDC_CLIENT_ID: 'x' }).join('\n'), /OIDC_CLIENT_ID: set without OIDC_ISSUER/);
  });

  it('takes plain http only for a loopback provider or callback', () => {
    const c = loadApiConfig({ ...base, OIDC_ISSUER: 'http://localhost:4000', OIDC_REDIRECT_URL: 'http://127.0.0.1:8081/auth/oidc/callback' }).oidc;
    assert.equal(c?.issuer, 'http://localhost:4000');
    assert.match(problems({ ...base, OIDC_REDIRECT_URL: 'http://modelrun.example/auth/oidc/callback' }).join('\n'), /OIDC_REDIRECT_URL: must be https:\/\//);
    assert.match(problems({ ...base, OIDC_ISSUER: 'https://user:pw@id.example.com' }).join('\n'), /OIDC_ISSUER: must not carry user:password@/);
  });
});
