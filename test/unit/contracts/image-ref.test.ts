import assert from 'node:assert/strict';
import { IMAGE_REF_MAX, ImageAllowList, compileImagePattern, parseImageRef, pinnedImageRef } from '@modelrun/contracts';

const DIGEST = `sha256:${'a1b2c3d4'.repeat(8)}`;

describe('parseImageRef', () => {
  it('reads a bare repository', () => {
    assert.deepEqual(parseImageRef('busybox'), { repository: 'busybox' });
  });

  it('reads a registry with a port, a path and a tag', () => {
    assert.deepEqual(parseImageRef('registry.example:5000/team/model:1.0'), {
      repository: 'registry.example:5000/team/model',
      tag: '1.0',
    });
  });

  it('reads a digest', () => {
    assert.deepEqual(parseImageRef(`team/model@${DIGEST}`), { repository: 'team/model', digest: DIGEST });
  });

  it('reads a tag and a digest together', () => {
    assert.deepEqual(parseImageRef(`registry.example/team/model:v2@${DIGEST}`), {
      repository: 'registry.example/team/model',
      tag: 'v2',
      digest: DIGEST,
    });
  });

  it('reads nested paths', () => {
    assert.deepEqual(parseImageRef('registry.example/org/team/sub/model:latest'), {
      repository: 'registry.example/org/team/sub/model',
      tag: 'latest',
    });
  });

  it('reads localhost:5000/a/b:tag as registry localhost:5000', () => {
    assert.deepEqual(parseImageRef('localhost:5000/a/b:tag'), { repository: 'localhost:5000/a/b', tag: 'tag' });
  });

  it('reads separators inside path components (., _, __, -)', () => {
    assert.deepEqual(parseImageRef('team/my.model_v2__x--y:1'), { repository: 'team/my.model_v2__x--y', tag: '1' });
  });

  it('accepts a reference of exactly 255 characters', () => {
    const ref = `team/${'m'.repeat(IMAGE_REF_MAX - 5)}`;
    assert.equal(ref.length, IMAGE_REF_MAX);
    assert.deepEqual(parseImageRef(ref), { repository: ref });
  });

  const invalid: [string, string][] = [
    ['upper case in the repository', 'registry.example/Team/model:1'],
    ['an upper-case single-component repository', 'Model'],
    ['a space', 'team/ model:1'],
    ['a space before the tag', 'team/model :1'],
    ['an empty string', ''],
    ['a .. path component', 'team/../model'],
    ['a path component that is ..', '../model'],
    ['a trailing colon', 'team/model:'],
    ['a trailing @', 'team/model@'],
    ['a leading slash', '/team/model'],
    ['a trailing slash', 'team/model/'],
    ['an empty path component', 'team//model'],
    ['a tag longer than 128 characters', `team/model:${'t'.repeat(129)}`],
    ['a digest too short to be one', 'team/model@sha256:abc'],
    ['a shell metacharacter', 'team/model;rm'],
    ['more than 255 characters', `team/${'m'.repeat(IMAGE_REF_MAX)}`],
  ];
  for (const [what, ref] of invalid) {
    it(`refuses ${what}`, () => {
      assert.equal(parseImageRef(ref), undefined);
    });
  }
});

describe('pinnedImageRef', () => {
  it('adds :latest to a reference without tag or digest', () => {
    assert.equal(pinnedImageRef('team/model'), 'team/model:latest');
    assert.equal(pinnedImageRef('busybox'), 'busybox:latest');
  });

  it('adds :latest after a registry port when there is no tag (host:5000/a)', () => {
    assert.equal(pinnedImageRef('host:5000/a'), 'host:5000/a:latest');
    assert.equal(pinnedImageRef('localhost:5000/a/b'), 'localhost:5000/a/b:latest');
  });

  it('leaves a tagged reference alone, registry port or not', () => {
    assert.equal(pinnedImageRef('team/model:1.0'), 'team/model:1.0');
    assert.equal(pinnedImageRef('host:5000/a:2'), 'host:5000/a:2');
  });

  it('leaves a digest reference alone, with or without a tag', () => {
    assert.equal(pinnedImageRef(`team/model@${DIGEST}`), `team/model@${DIGEST}`);
    assert.equal(pinnedImageRef(`team/model:1@${DIGEST}`), `team/model:1@${DIGEST}`);
  });

  it('throws on a string that is not an image reference', () => {
    assert.throws(() => pinnedImageRef('Not An Image'), /not an image reference/);
  });
});

describe('ImageAllowList', () => {
  it('allows every image when the list is empty', () => {
    const list = new ImageAllowList([]);
    assert.equal(list.restricted, false);
    assert.equal(list.allows('anything/at:all'), true);
    assert.equal(list.allows('registry.evil.com/x'), true);
  });

  it('is restricted once it has a pattern', () => {
    assert.equal(new ImageAllowList(['team/model']).restricted, true);
  });

  describe('registry.example/team/*', () => {
    const list = new ImageAllowList(['registry.example/team/*']);

    it('allows a model directly under the team, with a tag or digest', () => {
      assert.equal(list.allows('registry.example/team/model:1'), true);
      assert.equal(list.allows('registry.example/team/model'), true);
      assert.equal(list.allows(`registry.example/team/model@${DIGEST}`), true);
    });

    it('does not let * cross a /', () => {
      assert.equal(list.allows('registry.example/team/sub/model'), false);
      assert.equal(list.allows('registry.example/team/sub/model:1'), false);
    });

    it('does not allow a registry that only starts with the same name', () => {
      assert.equal(list.allows('registry.example.evil.com/team/model'), false);
      assert.equal(list.allows('registry.example:5000/team/model'), false);
    });

    it('does not allow the pattern somewhere inside a longer reference', () => {
      assert.equal(list.allows('evil/registry.example/team/x'), false);
    });

    it('reads . in a pattern as a literal dot', () => {
      assert.equal(list.allows('registryXexample/team/model'), false);
    });

    it('does not allow another team', () => {
      assert.equal(list.allows('registry.example/other/model:1'), false);
    });
  });

  it('lets ** cross /', () => {
    const list = new ImageAllowList(['registry.example/**']);
    assert.equal(list.allows('registry.example/team/sub/model:1'), true);
    assert.equal(list.allows('registry.example/model'), true);
    assert.equal(list.allows('registry.example.evil.com/team/model'), false);
  });

  describe('a bare repository pattern (team/model)', () => {
    const list = new ImageAllowList(['team/model']);

    it('allows that repository with any tag or digest, or none', () => {
      assert.equal(list.allows('team/model'), true);
      assert.equal(list.allows('team/model:1.0'), true);
      assert.equal(list.allows(`team/model@${DIGEST}`), true);
      assert.equal(list.allows(`team/model:1@${DIGEST}`), true);
    });

    it('does not allow a repository whose name merely starts the same', () => {
      assert.equal(list.allows('team/model-other'), false);
      assert.equal(list.allows('team/model2:1'), false);
    });

    it('does not allow a repository below it or around it', () => {
      assert.equal(list.allows('team/model/sub'), false);
      assert.equal(list.allows('other/team/model'), false);
      assert.equal(list.allows('registry.example/team/model'), false);
    });
  });

  it('allows only the given tag when the pattern has one', () => {
    const list = new ImageAllowList(['team/model:1.0']);
    assert.equal(list.allows('team/model:1.0'), true);
    assert.equal(list.allows('team/model:1.1'), false);
    assert.equal(list.allows('team/model'), false);
  });

  it('does not read a registry port in a pattern as a tag', () => {
    const list = new ImageAllowList(['localhost:5000/team/model']);
    assert.equal(list.allows('localhost:5000/team/model:3'), true);
    assert.equal(list.allows('localhost:5000/team/model-x'), false);
  });

  it('allows an image that any one of several patterns allows', () => {
    const list = new ImageAllowList(['team/a', 'registry.example/team/*']);
    assert.equal(list.allows('team/a:1'), true);
    assert.equal(list.allows('registry.example/team/b'), true);
    assert.equal(list.allows('team/b'), false);
  });

  it('compiles patterns to anchored regular expressions', () => {
    const re = compileImagePattern('registry.example/team/*');
    assert.equal(re.test('registry.example/team/model:1'), true);
    assert.equal(re.test('x/registry.example/team/model:1'), false);
    assert.equal(re.test('registry.example/team/model:1/x'), false);
  });

  it('escapes regular-expression characters in a pattern', () => {
    const list = new ImageAllowList(['team/m+del']);
    assert.equal(list.allows('team/mmmdel'), false);
  });
});
