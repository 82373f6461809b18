import assert from 'node:assert/strict';
import { isRunId, newRunId } from '@modelrun/contracts';

const T0 = Date.UTC(2025, 0, 1);

describe('newRunId', () => {
  it('makes RFC 4122 version-7 UUIDs', () => {
    for (let i = 0; i < 200; i++) {
      const id = newRunId(T0 + i);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('puts the millisecond timestamp in the first 48 bits', () => {
    const id = newRunId(T0);
    assert.equal(id.replace(/-/g, '').slice(0, 12), T0.toString(16).padStart(12, '0'));
  });

  it('uses the current time by default', () => {
    const before = Date.now();
    const id = newRunId();
    const after = Date.now();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    assert.ok(ms >= before && ms <= after, `${ms} not within [${before}, ${after}]`);
  });

  it('makes ids that sort as strings in the order of their timestamps', () => {
    // Steps across byte carries (255 -> 256, 65535 -> 65536) as well as ordinary ones.
    const times = [0, 1, 255, 256, 257, 65_535, 65_536, 1_000_000, 2 ** 32 - 1, 2 ** 32, T0, T0 + 1, T0 + 86_400_000];
    const ids = times.map((ms) => newRunId(ms));
    const shuffled = [...ids].reverse();
    shuffled.push(shuffled.shift()!);
    assert.deepEqual(shuffled.sort(), ids);
  });

  it('makes different ids within the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRunId(T0)));
    assert.equal(ids.size, 1000);
  });
});

describe('isRunId', () => {
  it('accepts the ids newRunId makes', () => {
    assert.equal(isRunId(newRunId()), true);
  });

  it('refuses upper-case hex, missing dashes, wrong lengths and path tricks', () => {
    const id = newRunId(T0);
    for (const bad of [
      id.toUpperCase(),
      id.replace(/-/g, ''),
      id.slice(1),
      `${id}0`,
      `${id}\n`,
      `../${id.slice(3)}`,
      '',
      'not-a-run-id',
    ]) {
      assert.equal(isRunId(bad), false, JSON.stringify(bad));
    }
  });
});
