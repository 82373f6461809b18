import assert from 'node:assert/strict';
import { type StopFacts, type StopVerdict, judgeStop } from '@modelrun/runner';

// How a container stopped, from what the runner saw (DockerRunner.wait gathers these facts).
const started = '2026-12-01T12:00:00.000Z';
const finished = '2026-12-01T12:00:10.000Z';
const deadlineMs = Date.parse('2026-12-01T12:01:00.000Z');

function facts(over: Partial<StopFacts> & { exitCode?: number | null; oomKilled?: boolean; finishedAt?: string; startedAt?: string } = {}): StopFacts {
  const { exitCode = 0, oomKilled = false, finishedAt = finished, startedAt = started, ...rest } = over;
  return {
    stoppedAtDeadline: false,
    stoppedOnCancel: false,
    deadlineMs,
    state: { exitCode, oomKilled, startedAt, finishedAt, user: '' },
    foundExited: false,
    kills: [],
    ownStop: false,
    streamConnected: true,
    engineLostAt: [],
    liveRestore: false,
    ...rest,
  };
}

/** The verdict in short: who ended the container, and the flags the outcome is classified by. */
function short(v: StopVerdict): string {
  if (v.kind !== 'stopped') return v.kind;
  const e = v.exit;
  return [e.engineStopped ? 'engine' : 'own-end', e.timedOut && 'timedOut', e.cancelled && 'cancelled', e.oomKilled && 'oom'].filter(Boolean).join(' ');
}

const lostDuring = '2026-12-01T12:00:09.000Z';

describe('how a container stopped (judgeStop)', () => {
  const table: [string, StopFacts, string][] = [
    ['a model that exited 0 by itself', facts(), 'own-end'],
    ['a model that exited 3 by itself, the stream connected and no kill seen', facts({ exitCode: 3 }), 'own-end'],
    ['a model that exited 143 after signalling itself (no kill event)', facts({ exitCode: 143 }), 'own-end'],
    ['a container this runner stopped at its deadline', facts({ exitCode: 143, stoppedAtDeadline: true, ownStop: true, kills: ['15'] }), 'own-end timedOut'],
    ['a container this runner stopped on cancel', facts({ exitCode: 143, stoppedOnCancel: true, ownStop: true, kills: ['15'] }), 'own-end cancelled'],
    ['an adopted container found stopped past its deadline', facts({ exitCode: 137, foundExited: true, finishedAt: '2026-12-01T12:01:05.000Z' }), 'own-end timedOut'],
    ['a container stopped within a second of its deadline (not late)', facts({ exitCode: 0, finishedAt: '2026-12-01T12:01:00.500Z' }), 'own-end'],
    ['an OOM kill, even with a foreign kill seen', facts({ exitCode: 137, oomKilled: true, kills: ['9'] }), 'own-end oom'],
    ['a kill this process did not send (the engine shutting down)', facts({ exitCode: 143, kills: ['15'] }), 'engine'],
    ["a model that exited 0 on the engine's SIGTERM", facts({ exitCode: 0, kills: ['15'] }), 'engine'],
    ['a kill this process sent, without a deadline or cancel to show for it (the stop found it exiting)', facts({ exitCode: 143, ownStop: true, kills: ['15'] }), 'own-end'],
    ['a failure while the stream was down: who stopped it cannot be told', facts({ exitCode: 143, streamConnected: false }), 'unseen'],
    ['a failure while the engine refuses new connections (shutting down, its kill not on the stream)', facts({ exitCode: 143, engineClosing: true }), 'unseen'],
    ['a clean exit while the engine shuts down (nothing to blame anyone for)', facts({ exitCode: 0, engineClosing: true }), 'own-end'],
    ['a clean exit while the stream was down (nothing to blame anyone for)', facts({ exitCode: 0, streamConnected: false }), 'own-end'],
    ['a timeout while the stream was down (this runner stopped it)', facts({ exitCode: 143, stoppedAtDeadline: true, streamConnected: false }), 'own-end timedOut'],
    ['an adopted exited container that ran when a worker lost the engine', facts({ exitCode: 143, foundExited: true, engineLostAt: [lostDuring] }), 'engine'],
    ['the same on an engine with live-restore (it stops no container when it goes)', facts({ exitCode: 143, foundExited: true, engineLostAt: [lostDuring], liveRestore: true }), 'own-end'],
    ['an adopted exited container started after the engine was lost', facts({ exitCode: 1, foundExited: true, engineLostAt: ['2026-12-01T11:59:00.000Z'] }), 'own-end'],
    ['an adopted exited container with the stream down (the stream saw none of its life anyway)', facts({ exitCode: 1, foundExited: true, streamConnected: false }), 'own-end'],
    ['a container the engine no longer has', { ...facts(), state: undefined }, 'vanished'],
  ];
  for (const [what, f, expected] of table) {
    it(`${what}: ${expected}`, () => assert.equal(short(judgeStop(f)), expected));
  }

  it('clamps a start Docker stamped after the exit to the exit', () => {
    const v = judgeStop(facts({ startedAt: '2026-12-01T12:00:10.004Z', finishedAt: '2026-12-01T12:00:10.001Z' }));
    assert.equal(v.kind === 'stopped' && v.exit.startedAt, '2026-12-01T12:00:10.001Z');
  });

  it('keeps the exit code and the user for the classification', () => {
    const v = judgeStop({ ...facts({ exitCode: 2 }), state: { exitCode: 2, oomKilled: false, startedAt: started, finishedAt: finished, user: '1000' } });
    assert.deepEqual(v.kind === 'stopped' && [v.exit.exitCode, v.exit.user], [2, '1000']);
  });
});
