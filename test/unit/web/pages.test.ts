import assert from 'node:assert/strict';
import type { RunView } from '@modelrun/contracts';
import { formatDuration, formatScore, timeAgo } from '../../../apps/web/src/ui/format';
import { afterSignIn, match } from '../../../apps/web/src/ui/match';
import { timelineOf } from '../../../apps/web/src/ui/progress';

const run = (over: Partial<RunView>): RunView => ({
  id: '01a22c75-78ea-787b-b8e8-4314b4859110',
  name: 'm',
  image: 'i',
  status: 'queued',
  limits: { timeoutSeconds: 1, memoryMb: 16, cpus: 1, gpus: 0 },
  createdAt: '2026-11-30T12:00:00.000Z',
  ...over,
});
const states = (r: RunView) =>
  timelineOf(r)
    .map((s) => `${s.label}:${s.state}`)
    .join(' ');

describe('the web app: a run as a timeline', () => {
  it('puts a queued run at the first step', () => {
    assert.equal(states(run({})), 'queued:current pulling:todo starting:todo running:todo collecting:todo finished:todo');
  });

  it('puts a running run at its phase, the steps before it done', () => {
    assert.equal(states(run({ status: 'running', phase: 'running' })), 'queued:done pulling:done starting:done running:current collecting:todo finished:todo');
  });

  it('shows a succeeded run done throughout', () => {
    assert.equal(states(run({ status: 'succeeded' })), 'queued:done pulling:done starting:done running:done collecting:done succeeded:done');
  });

  it('ends a failed run that had started in red, and one cancelled in the queue after the queue', () => {
    assert.equal(states(run({ status: 'failed', startedAt: '2026-11-30T12:00:01.000Z' })), 'queued:done pulling:done starting:done running:done collecting:done failed:failed');
    assert.equal(states(run({ status: 'cancelled' })), 'queued:done pulling:todo starting:todo running:todo collecting:todo cancelled:failed');
  });
});

describe('the web app: routes and words', () => {
  it('matches a page path and decodes its parameters', () => {
    assert.deepEqual(match('/models/:name', '/models/digits.svm'), { name: 'digits.svm' });
    assert.deepEqual(match('/runs/:id', '/runs/abc/'), { id: 'abc' });
    assert.equal(match('/runs/:id', '/runs/abc/logs'), undefined);
    assert.equal(match('/models/:name', '/models/'), undefined);
  });

  it('goes back after sign-in only to a path of this site', () => {
    assert.equal(afterSignIn('?next=%2Fadmin%2Fqueues%2Fqueue%2Fruns', 'http://127.0.0.1:8081'), '/admin/queues/queue/runs');
    assert.equal(afterSignIn('', 'http://127.0.0.1:8081'), undefined);
    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      assert.equal(afterSignIn(`?next=${encodeURIComponent(evil)}`, 'http://127.0.0.1:8081'), undefined, evil);
    }
  });

  it('formats scores, durations and ages for people', () => {
    assert.equal(formatScore(0.93), '0.9300');
    assert.equal(formatScore(undefined), '—');
    assert.equal(formatDuration(420), '420 ms');
    assert.equal(formatDuration(2960), '3.0 s');
    assert.equal(formatDuration(125_000), '2 min 5 s');
    assert.equal(formatDuration(3_780_000), '1 h 3 min');
    const now = Date.parse('2026-11-30T12:10:00.000Z');
    assert.equal(timeAgo('2026-11-30T12:09:58.000Z', now), 'just now');
    assert.equal(timeAgo('2026-11-30T12:07:00.000Z', now), '3 min ago');
    assert.equal(timeAgo('2026-11-30T09:00:00.000Z', now), '3 h ago');
  });
});
