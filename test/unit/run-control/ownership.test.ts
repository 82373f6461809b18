import assert from 'node:assert/strict';
import { OwnedElsewhereError, handBackDelayMs, parseClaim, sameOwner, takeoverMessage } from '@modelrun/run-control';
import { engineIdOf } from '@modelrun/runner';
import { decideFault } from '../../../apps/worker/src/run/faults';

describe('run ownership (pure parts)', () => {
  it("reads the claim script's answers", () => {
    assert.deepEqual(parseClaim(['new', 'a', 1, 0], ''), { kind: 'new', owner: { host: 'a', fence: 1 } });
    assert.deepEqual(parseClaim(['mine', 'a', 3, 0], 'a'), { kind: 'mine', owner: { host: 'a', fence: 3 } });
    assert.deepEqual(parseClaim(['elsewhere', 'b', 2, 4200], 'b'), { kind: 'elsewhere', owner: { host: 'b', fence: 2 }, leaseMs: 4200 });
    assert.deepEqual(parseClaim(['taken', 'a', 3, 0], 'b'), { kind: 'taken', owner: { host: 'a', fence: 3 }, from: 'b' });
    assert.equal(parseClaim(['changed', 'c', 2, 0], 'b'), 'changed');
    assert.throws(() => parseClaim(['nonsense', 'a', 1, 0], ''), /unexpected answer/);
  });

  it('offers a handed-back run again soon after the owner lease would lapse, never later than a second', () => {
    assert.equal(handBackDelayMs(0), 250);
    assert.equal(handBackDelayMs(400), 500);
    assert.equal(handBackDelayMs(25_000), 1_000);
    // A lease without expiry (PTTL -1) is alive: try again in a second.
    assert.equal(handBackDelayMs(-1), 1_000);
  });

  it('compares owners by host and fence', () => {
    assert.equal(sameOwner({ host: 'a', fence: 2 }, { host: 'a', fence: 2 }), true);
    assert.equal(sameOwner({ host: 'a', fence: 3 }, { host: 'a', fence: 2 }), false);
    assert.equal(sameOwner({ host: 'b', fence: 2 }, { host: 'a', fence: 2 }), false);
    assert.equal(sameOwner(undefined, { host: 'a', fence: 1 }), false);
  });

  it('says which host was lost and which took over', () => {
    assert.equal(takeoverMessage('host-a', 'host-b'), 'host host-a was lost (its lease lapsed); the run was taken over by host host-b');
  });

  it('never retries or records a delivery whose run is owned elsewhere', () => {
    const err = new OwnedElsewhereError('r1', { host: 'a', fence: 1 }, { host: 'b', fence: 2 });
    assert.deepEqual(decideFault(err, 1, 5), { kind: 'owned-elsewhere', error: err });
    assert.match(err.message, /no longer owned by host a \(fence 1\); owner now: b \(fence 2\)/);
  });
});

describe('naming a host after its engine (engineIdOf)', () => {
  const info = { ID: 'F3NE:U63R:SAWV', Name: 'worker-7', DockerRootDir: '/var/lib/docker' };

  it('starts with the host name and tells apart engines that share an ID (cloned key.json, two engines on one machine)', () => {
    const a = engineIdOf(info);
    const b = engineIdOf({ ...info, DockerRootDir: '/tmp/other/data' });
    assert.match(a, /^worker-7-[0-9a-f]{12}$/);
    assert.notEqual(a, b);
    assert.equal(engineIdOf(info), a, 'the same engine gets the same name every time');
  });

  it('keeps the name within WORKER_HOST_ID characters', () => {
    assert.match(engineIdOf({ ...info, Name: 'odd name/with:stuff' }), /^odd-name-with-stuff-[0-9a-f]{12}$/);
  });
});
