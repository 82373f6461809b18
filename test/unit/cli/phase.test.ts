import assert from 'node:assert/strict';
import type { RunView } from '@modelrun/contracts';
import { limitsFromFlags, phaseOf } from '@modelrun/cli';

const run = (over: Partial<RunView>): RunView => ({
  id: '01a21c4c-2675-7876-8c5f-439c69e7e79b',
  name: 'm',
  image: 'team/model:1',
  status: 'running',
  limits: { timeoutSeconds: 600, memoryMb: 1024, cpus: 1, gpus: 0 },
  createdAt: '2026-11-30T12:00:00.000Z',
  ...over,
});
const at = (iso: string) => () => Date.parse(iso);

describe("modelrun: the watched run's status line", () => {
  it('says a queued run waits for a worker, and for how long', () => {
    const p = phaseOf(run({ status: 'queued' }), at('2026-11-30T12:00:04.000Z'));
    assert.equal(p.key, 'queued');
    assert.equal(p.render(), 'queued, waiting for a worker (4.0 s)');
  });

  it('says what a queued run no live host can take waits for', () => {
    const waitingFor = 'a host with reference=digits (no live host has it; hosts: a (zone=a))';
    const p = phaseOf(run({ status: 'queued', waitingFor }), at('2026-11-30T12:00:04.000Z'));
    assert.equal(p.render(), `queued, waiting for ${waitingFor} (4.0 s)`);
    assert.notEqual(p.key, 'queued', 'a new line when it starts waiting for a host');
  });

  it('shows a retry as one: which try failed, why, and when the next starts', () => {
    const failed = [{ attempt: 1, at: '2026-11-30T12:00:05.000Z', message: 'the image could not be pulled: connection refused' }];
    const waiting = run({ status: 'queued', attempts: 1, maxAttempts: 5, attemptErrors: failed, nextAttemptAt: '2026-11-30T12:00:09.000Z' });
    const p = phaseOf(waiting, at('2026-11-30T12:00:06.000Z'));
    assert.equal(p.render(), 'try 1 of 5 failed (the image could not be pulled: connection refused); try 2 starts in 3.0 s');
    assert.notEqual(p.key, 'queued');
    assert.equal(phaseOf({ ...waiting, nextAttemptAt: undefined }).render(), 'try 1 of 5 failed (the image could not be pulled: connection refused); try 2 waits for a worker');
    const second = phaseOf(run({ phase: 'pulling', attempts: 2, maxAttempts: 5, attemptErrors: failed }));
    assert.equal(second.render(), 'try 2 of 5: pulling team/model:1');
    assert.notEqual(second.key, phaseOf(run({ phase: 'pulling' })).key, 'a new try prints a new line in a log');
  });

  it('shows the bytes of a pull when the worker reports them, and the total once known', () => {
    const partial = run({ phase: 'pulling', pull: { bytesDone: 5 * 1024 * 1024 } });
    assert.equal(phaseOf(partial).render(), 'pulling team/model:1 5.0 MiB');
    const known = run({ phase: 'pulling', pull: { bytesDone: 1536, bytesTotal: 3 * 1024 * 1024 } });
    assert.equal(phaseOf(known).render(), 'pulling team/model:1 1.5 KiB of 3.0 MiB');
    assert.equal(phaseOf(run({ phase: 'pulling' })).render(), 'pulling team/model:1');
  });

  it("counts a running run's time from its start, one key per phase", () => {
    const p = phaseOf(run({ phase: 'running', startedAt: '2026-11-30T12:00:01.000Z' }), at('2026-11-30T12:01:13.000Z'));
    assert.equal(p.render(), 'running 1 m 12 s');
    assert.deepEqual(
      ['starting', 'running', 'collecting'].map((phase) => phaseOf(run({ phase: phase as RunView['phase'] })).key),
      ['starting', 'running', 'collecting'],
    );
  });
});

describe('modelrun: limit flags', () => {
  it("reads the flags into the API's request fields, over --limits", () => {
    assert.equal(limitsFromFlags({}), undefined);
    assert.deepEqual(limitsFromFlags({ timeout: '120', cpus: '0.5', limits: '{"memoryMb": 512, "timeoutSeconds": 60}' }), { timeoutSeconds: 120, memoryMb: 512, cpus: 0.5 });
  });

  it('refuses what the API would, naming the flag', () => {
    assert.throws(() => limitsFromFlags({ memory: '8' }), /--memory: must be at least 16/);
    assert.throws(() => limitsFromFlags({ timeout: 'soon' }), /--timeout soon: not a number/);
    assert.throws(() => limitsFromFlags({ limits: '{nope' }), /--limits \{nope: not JSON/);
    assert.throws(() => limitsFromFlags({ limits: '{"disk": 5}' }), /--limits/);
  });
});
