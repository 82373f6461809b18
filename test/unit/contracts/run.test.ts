import assert from 'node:assert/strict';
import { SubmitRunRequest } from '@modelrun/contracts';

const IMAGE = 'registry.example/team/model:1';

function issuesOf(input: unknown) {
  const parsed = SubmitRunRequest.safeParse(input);
  if (parsed.success) assert.fail(`expected ${JSON.stringify(input)} to be refused`);
  return parsed.error.issues;
}

describe('SubmitRunRequest', () => {
  it('accepts an image and a name', () => {
    assert.deepEqual(SubmitRunRequest.parse({ image: IMAGE, name: 'digits-logreg' }), { image: IMAGE, name: 'digits-logreg' });
  });

  it('accepts limits', () => {
    const req = { image: IMAGE, name: 'm', limits: { timeoutSeconds: 60, memoryMb: 256, cpus: 0.5 } };
    assert.deepEqual(SubmitRunRequest.parse(req), req);
  });

  describe('strictness', () => {
    for (const field of ['hostConfig', 'privileged', 'binds', 'env', 'cmd']) {
      it(`refuses the unknown field ${field}`, () => {
        const issues = issuesOf({ image: IMAGE, name: 'm', [field]: true });
        assert.equal(issues[0]?.code, 'unrecognized_keys');
        assert.match(issues[0]?.message ?? '', new RegExp(field));
      });
    }

    it('refuses an unknown field inside limits', () => {
      const issues = issuesOf({ image: IMAGE, name: 'm', limits: { privileged: true } });
      assert.equal(issues[0]?.code, 'unrecognized_keys');
      assert.deepEqual(issues[0]?.path, ['limits']);
    });

    it('refuses a missing image or name, saying it is required', () => {
      const image = issuesOf({ name: 'm' });
      assert.deepEqual(image[0]?.path, ['image']);
      assert.equal(image[0]?.message, 'is required');
      const name = issuesOf({ image: IMAGE });
      assert.deepEqual(name[0]?.path, ['name']);
      assert.equal(name[0]?.message, 'is required');
    });

    it('refuses a name that is not a string', () => {
      const issues = issuesOf({ image: IMAGE, name: 42 });
      assert.equal(issues[0]?.message, 'must be a string');
    });

    it('refuses an invalid image reference with an example of a valid one', () => {
      const issues = issuesOf({ image: 'Registry Example/Model', name: 'm' });
      assert.deepEqual(issues[0]?.path, ['image']);
      assert.match(issues[0]?.message ?? '', /not a valid image reference/);
    });
  });

  describe('name rules', () => {
    const valid = ['a', '0', 'digits-logreg', 'model.v2', 'my_model', 'a.b_c-d', '9lives', 'a..b', 'x'.repeat(63)];
    for (const name of valid) {
      it(`accepts the name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}... (${name.length})` : name)}`, () => {
        assert.equal(SubmitRunRequest.parse({ image: IMAGE, name }).name, name);
      });
    }

    const invalid: [string, string][] = [
      ['empty', ''],
      ['64 characters long', 'x'.repeat(64)],
      ['starting with a dot', '.hidden'],
      ['that is ..', '..'],
      ['starting with a dash', '-model'],
      ['starting with an underscore', '_model'],
      ['with upper case', 'Model'],
      ['with a slash', 'team/model'],
      ['that climbs out of the data folder', '../etc'],
      ['with a space', 'my model'],
      ['with a backslash', 'a\\b'],
      ['with a non-ASCII letter', 'modèle'],
      ['with a trailing newline', 'model\n'],
    ];
    for (const [what, name] of invalid) {
      it(`refuses a name ${what}`, () => {
        const issues = issuesOf({ image: IMAGE, name });
        assert.deepEqual(issues[0]?.path, ['name']);
      });
    }

    it('explains the rule when refusing a name', () => {
      const issues = issuesOf({ image: IMAGE, name: '-model' });
      assert.match(issues[0]?.message ?? '', /a-z 0-9 \. _ -/);
      assert.match(issues[0]?.message ?? '', /start with a letter or digit/);
    });
  });
});
