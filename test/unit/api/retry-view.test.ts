import assert from 'node:assert/strict';
import type { Job } from 'bullmq';
import type { RunJobData } from '@modelrun/contracts';
import { viewOfJob } from '../../../apps/api/src/services/views';

const data: RunJobData = {
  id: '01a22c75-78ea-787b-b8e8-4314b4859110',
  name: 'm',
  image: 'team/model:1',
  limits: { timeoutSeconds: 60, memoryMb: 256, cpus: 1, gpus: 0 },
  createdAt: '2026-11-30T12:00:00.000Z',
};
/** The fields of a BullMQ job the view reads. */
const job = (delay: number, attemptsStarted: number) => ({ data, progress: 0, attemptsStarted, delay, opts: { attempts: 5 } }) as unknown as Job<RunJobData>;
const failedAt = '2026-11-30T12:00:10.000Z';
const NOW = Date.parse('2026-11-30T12:00:12.000Z');

describe("the API's view of a run between tries", () => {
  it('says how many tries it may have, and when the next starts while it waits out the backoff', () => {
    const table: [what: string, delay: number, errors: number, status: 'queued' | 'running', next: string | undefined][] = [
      ['waiting out a 4 s backoff', 4000, 1, 'queued', '2026-11-30T12:00:14.000Z'],
      ['backoff over: waiting for a worker', 1000, 1, 'queued', undefined],
      ['first try, never failed', 0, 0, 'queued', undefined],
      ['the next try is running', 4000, 1, 'running', undefined],
    ];
    for (const [what, delay, errors, status, next] of table) {
      const attemptErrors = Array.from({ length: errors }, (_v, i) => ({ attempt: i + 1, at: failedAt, message: 'connection refused' }));
      const view = viewOfJob(job(delay, errors), { status, attemptErrors }, NOW);
      assert.equal(view.maxAttempts, 5, what);
      assert.equal(view.nextAttemptAt, next, what);
    }
  });
});
