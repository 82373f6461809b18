import assert from 'node:assert/strict';
import { stoppedByEngine } from '@modelrun/runner';

describe('telling a container the engine stopped from one that exited by itself (stoppedByEngine)', () => {
  const life = { startedAt: '2026-11-30T12:00:00.000Z', finishedAt: '2026-11-30T12:00:10.000Z' };

  it('blames the engine for a container that ran when its worker lost the engine and ended then or after', () => {
    assert.equal(stoppedByEngine(life, ['2026-11-30T12:00:09.500Z']), true);
    assert.equal(stoppedByEngine(life, ['2026-11-30T12:00:05.000Z']), true);
  });

  it("allows a few seconds between the container's end and the broken wait", () => {
    assert.equal(stoppedByEngine(life, ['2026-11-30T12:00:14.000Z']), true);
    assert.equal(stoppedByEngine(life, ['2026-11-30T12:00:16.000Z']), false);
  });

  it('does not blame the engine for a container started after the engine was lost (a fresh retry)', () => {
    assert.equal(stoppedByEngine(life, ['2026-11-30T11:59:59.000Z']), false);
  });

  it('does not blame the engine when no worker lost it, or the times are unknown', () => {
    assert.equal(stoppedByEngine(life, []), false);
    assert.equal(stoppedByEngine({ startedAt: life.startedAt }, ['2026-11-30T12:00:05.000Z']), false);
  });
});
