import assert from 'node:assert/strict';
import type { EngineImage } from '@modelrun/runner';
import { type PruneFacts, choosePrunes } from '../../../apps/worker/src/disk/prune-choice';

const MB = 1024 * 1024;
const HOUR = 3600_000;

function image(name: string, mb: number, extra: Partial<EngineImage> = {}): EngineImage {
  return { id: `sha256:${name}`, refs: [`team/${name}:1`], createdMs: 0, uniqueBytes: mb * MB, containers: 0, ...extra };
}

/** A 1000 MB disk, 900 MB used (90 %), marks 85 / 70: 200 MB to free. */
function facts(over: Partial<PruneFacts> = {}): PruneFacts {
  const images = [image('old', 100), image('older', 100), image('oldest', 100), image('newest', 100)];
  return {
    images,
    usage: { usedBytes: 900 * MB, sizeBytes: 1000 * MB },
    marks: { highPercent: 85, lowPercent: 70 },
    tracked: new Map([
      ['team/oldest:1', 1 * HOUR],
      ['team/older:1', 2 * HOUR],
      ['team/old:1', 3 * HOUR],
      ['team/newest:1', 4 * HOUR],
    ]),
    needed: new Set(),
    pinned: new Set(),
    ...over,
  };
}

const names = (c: ReturnType<typeof choosePrunes>): string[] => c.remove.map((r) => r.image.refs[0]!);

describe('which images the pruner removes (choosePrunes)', () => {
  it('removes the images unused the longest first, until the estimate reaches the low mark', () => {
    const c = choosePrunes(facts());
    assert.equal(c.due, true);
    assert.equal(c.bytesToFree, 200 * MB);
    assert.deepEqual(names(c), ['team/oldest:1', 'team/older:1']);
  });

  it('removes nothing below the high mark, even above the low one', () => {
    const c = choosePrunes(facts({ usage: { usedBytes: 800 * MB, sizeBytes: 1000 * MB } }));
    assert.equal(c.due, false);
    assert.deepEqual(c.remove, []);
  });

  it('never removes a pinned image, one a run needs or one a container uses, and says why', () => {
    const f = facts({ pinned: new Set(['team/oldest:1']), needed: new Set(['team/older:1']) });
    f.images = f.images.map((i) => (i.refs[0] === 'team/old:1' ? { ...i, containers: 1 } : i));
    const c = choosePrunes(f);
    assert.deepEqual(names(c), ['team/newest:1']);
    assert.deepEqual(
      c.kept.map((k) => [k.image.refs[0], k.because]),
      [
        ['team/old:1', 'in_use'],
        ['team/older:1', 'needed'],
        ['team/oldest:1', 'pinned'],
      ],
    );
  });

  it('never removes an image modelrun neither pulled nor ran, nor the output keeper', () => {
    const f = facts();
    f.images = [...f.images, image('operators-own', 500, { createdMs: -HOUR }), { ...image('k', 1), refs: ['modelrun-output-keeper:abc123'] }];
    (f.tracked as Map<string, number>).set('modelrun-output-keeper:abc123', 0);
    const c = choosePrunes(f);
    assert.ok(!names(c).includes('team/operators-own:1'));
    assert.ok(!names(c).includes('modelrun-output-keeper:abc123'));
    assert.deepEqual(
      c.kept.map((k) => k.because),
      ['not_modelrun', 'pinned'],
    );
  });

  it('matches references in the forms runs and operators write them: no tag, Docker Hub’s prefix, a digest after the tag', () => {
    const f = facts({
      images: [
        { ...image('a', 100), refs: ['busybox:latest', 'busybox@sha256:aaa'] },
        { ...image('b', 100), refs: ['team/b:1', 'team/b@sha256:bbb'] },
        { ...image('c', 100), refs: ['team/c:2'] },
      ],
      tracked: new Map([
        ['docker.io/library/busybox', 1],
        ['team/b:1@sha256:bbb', 2],
        ['team/c:2', 3],
      ]),
      usage: { usedBytes: 990 * MB, sizeBytes: 1000 * MB },
      marks: { highPercent: 50, lowPercent: 10 },
    });
    assert.deepEqual(names(choosePrunes(f)), ['busybox:latest', 'team/b:1', 'team/c:2']);
    assert.deepEqual(names(choosePrunes({ ...f, needed: new Set(['team/b:1@sha256:bbb']), pinned: new Set(['busybox']) })), ['team/c:2']);
  });

  it('goes by the image’s creation time where the record has no readable time of use', () => {
    const f = facts({
      images: [image('made-late', 300, { createdMs: 5 * HOUR }), image('made-early', 300, { createdMs: 1 })],
      tracked: new Map([
        ['team/made-late:1', Number.NaN],
        ['team/made-early:1', Number.NaN],
      ]),
    });
    assert.deepEqual(names(choosePrunes(f)), ['team/made-early:1']);
  });
});
