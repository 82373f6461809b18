import assert from 'node:assert/strict';
import { isRunId, newRunId, runIdAt } from '@modelrun/contracts';

const T0 = Date.UTC(2025, 0, 1);

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('newRunId', () => {
  it('makes RFC 9562 version-7 UUIDs stamped with the current time', () => {
    const before = Date.now();
    const id = newRunId();
    const after = Date.now();
    assert.match(id, V7);
    assert.ok(msOf(id) >= before && msOf(id) <= after, `${msOf(id)} not within [${before}, ${after}]`);
  });

  it('makes 10,000 ids in a burst that sort as strings in the order they were made', () => {
    const ids = Array.from({ length: 10_000 }, () => newRunId());
    // A burst spans few milliseconds: most ids share one with another, so the counter is what orders them.
    const sharing = ids.filter((id, i) => i > 0 && msOf(id) === msOf(ids[i - 1]!)).length;
    assert.ok(sharing > 5_000, `only ${sharing} ids shared a millisecond with the one before`);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `id ${i} (${ids[i]}) sorts before id ${i - 1} (${ids[i - 1]})`);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, V7);
  });
});

describe('runIdAt', () => {
  it('puts exactly the given millisecond timestamp in the first 48 bits', () => {
    for (let i = 0; i < 200; i++) {
      const id = runIdAt(T0 + i);
      assert.match(id, V7);
      assert.equal(msOf(id), T0 + i);
    }
    // Even going back in time: fixtures are made in any order.
    assert.equal(msOf(runIdAt(T0)), T0);
  });

  it('makes ids that sort as strings in the order of their timestamps', () => {
    // Steps across byte carries (255 -> 256, 65535 -> 65536) as well as ordinary ones.
    const times = [0, 1, 255, 256, 257, 65_535, 65_536, 1_000_000, 2 ** 32 - 1, 2 ** 32, T0, T0 + 1, T0 + 86_400_000];
    const ids = times.map((ms) => runIdAt(ms));
    const shuffled = [...ids].reverse();
    shuffled.push(shuffled.shift()!);
    assert.deepEqual(shuffled.sort(), ids);
  });

  it('makes different ids within the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => runIdAt(T0)));
    assert.equal(ids.size, 1000);
  });
});

describe('isRunId', () => {
  it('accepts the ids newRunId makes', () => {
    assert.equal(isRunId(newRunId()), true);
  });

  it('refuses upper-case hex, missing dashes, wrong lengths and path tricks', () => {
    const id = runIdAt(T0);
    for (const bad of [id.toUpperCase(), id.replace(/-/g, ''), id.slice(1), `${id}0`, `${id}\n`, `../${id.slice(3)}`, '', 'not-a-run-id']) {
      assert.equal(isRunId(bad), false, JSON.stringify(bad));
    }
  });
});
