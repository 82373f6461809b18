import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryAuthFile, RegistryCredentials, registryOf } from '@modelrun/runner';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('registry credentials (REGISTRY_AUTH_FILE)', () => {
  describe("registryOf, by Docker's rules", () => {
    const cases: [string, string][] = [
      ['model', 'docker.io'],
      ['team/model:1.0', 'docker.io'],
      ['docker.io/team/model', 'docker.io'],
      ['index.docker.io/team/model', 'docker.io'],
      ['registry-1.docker.io/library/python:3.11', 'docker.io'],
      ['registry.example/team/model', 'registry.example'],
      ['registry.example:5000/team/model@sha256:' + 'a'.repeat(64), 'registry.example:5000'],
      ['127.0.0.1:5000/model', '127.0.0.1:5000'],
      ['localhost/model', 'localhost'],
      ['Registry/model', 'registry'],
    ];
    for (const [image, host] of cases) it(`${image} → ${host}`, () => assert.equal(registryOf(image), host));
  });

  it('finds credentials by host, from auth or username/password, with keys as hosts or URLs', () => {
    const creds = RegistryCredentials.parse(
      JSON.stringify({
        auths: {
          'registry.example:5000': { auth: b64('alice:pa:ss') },
          'https://other.example/v1/': { username: 'bob', password: 'hunter2' },
        },
        credsStore: 'ignored-here',
      }),
    );
    assert.deepEqual(creds.for('registry.example:5000/team/m:1'), { username: 'alice', password: 'pa:ss', serveraddress: 'registry.example:5000' });
    assert.deepEqual(creds.for('other.example/m'), { username: 'bob', password: 'hunter2', serveraddress: 'other.example' });
    assert.equal(creds.for('registry.example/team/m'), undefined, 'another port is another registry');
    assert.equal(creds.for('team/m'), undefined);
    assert.deepEqual(creds.registries.sort(), ['other.example', 'registry.example:5000']);
  });

  it('matches Docker Hub under any of its names, and sends the key docker login uses', () => {
    for (const key of ['https://index.docker.io/v1/', 'docker.io', 'registry-1.docker.io']) {
      const creds = RegistryCredentials.parse(JSON.stringify({ auths: { [key]: { auth: b64('u:p') } } }));
      assert.deepEqual(creds.for('team/model'), { username: 'u', password: 'p', serveraddress: 'https://index.docker.io/v1/' }, key);
    }
  });

  it('refuses a bad file naming the registry, never echoing a secret', () => {
    const bad: [unknown, RegExp][] = [
      ['{not json', /is not valid JSON/],
      [{ auths: 'x' }, /^auths: must be an object of registries/],
      [{ auths: { 'r.example': { auth: b64('no-colon-secret') } } }, /auths\.r\.example\.auth: is not base64 of user:password/],
      [{ auths: { 'r.example': {} } }, /auths\.r\.example: has no auth, username and password, or identitytoken/],
      [{ auths: { 'r.example': { username: 'u', password: 7 } } }, /auths\.r\.example\.password/],
    ];
    for (const [file, message] of bad) {
      assert.throws(
        () => RegistryCredentials.parse(typeof file === 'string' ? file : JSON.stringify(file)),
        (err: Error) => {
          assert.match(err.message, message);
          assert.ok(!err.message.includes('no-colon-secret') && !err.message.includes(b64('no-colon-secret')), err.message);
          return true;
        },
      );
    }
  });

  describe('the file', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'modelrun-authfile-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('is read again when it changes; a broken change keeps the last good credentials, with a warning', async () => {
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify({ auths: { 'r.example': { auth: b64('u:one') } } }));
      const warnings: string[] = [];
      const file = await RegistryAuthFile.open(path, (m) => warnings.push(m));
      assert.equal((await file.for('r.example/m'))?.password, 'one');
      writeFileSync(path, JSON.stringify({ auths: { 'r.example': { auth: b64('u:second') } } }));
      assert.equal((await file.for('r.example/m'))?.password, 'second');
      writeFileSync(path, '{"auths": ');
      assert.equal((await file.for('r.example/m'))?.password, 'second');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /could not be read again; keeping the credentials read before/);
    });

    it('must be readable and valid at start', async () => {
      await assert.rejects(
        RegistryAuthFile.open(join(dir, 'missing.json'), () => undefined),
        /REGISTRY_AUTH_FILE .*missing\.json cannot be read: ENOENT/,
      );
      writeFileSync(join(dir, 'bad.json'), '[]');
      await assert.rejects(
        RegistryAuthFile.open(join(dir, 'bad.json'), () => undefined),
        /REGISTRY_AUTH_FILE .*bad\.json: /,
      );
    });
  });
});
