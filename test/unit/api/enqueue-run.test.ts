import assert from 'node:assert/strict';
import type { JobsOptions } from 'bullmq';
import { DEFAULT_RUN_PRIORITY, type RunJobData } from '@modelrun/contracts';
import { type RunQueue, jobPriority } from '@modelrun/queue';
import type { FairShare, FairShareEntry } from '@modelrun/run-control';
import { RunEnqueuer } from '../../../apps/api/src/services/enqueue-run';

const run = (id: string): RunJobData => ({ id, name: 'm', image: 'team/m:1', limits: { timeoutSeconds: 60, memoryMb: 64, cpus: 1, gpus: 0 }, createdAt: new Date(0).toISOString() });

/** A queue that keeps what was added (or refuses), and a fair share that ranks from a table. */
function fakes(opts: { rank?: number; refuse?: boolean } = {}) {
  const added: JobsOptions[] = [];
  const left: string[] = [];
  const entered: { queue: string; share: string; runId: string }[] = [];
  const queue = {
    name: 'runs',
    toKey: (type: string) => `p:runs:${type}`,
    add: async (_name: string, _data: RunJobData, o: JobsOptions) => {
      if (opts.refuse) throw new Error('redis down');
      added.push(o);
    },
  } as unknown as RunQueue;
  const fairShare = {
    enter: async (entries: FairShareEntry[]) =>
      entries.map((e) => {
        assert.equal(e.queue.prioritizedKey, 'p:runs:prioritized');
        entered.push({ queue: e.queue.name, share: e.submitter, runId: e.runId });
        return opts.rank ?? 1;
      }),
    left: async (runId: string) => {
      left.push(runId);
    },
  } as unknown as FairShare;
  return { queue, fairShare, added, left, entered };
}

const retry = { attempts: 3, backoffMs: 100 };

describe('RunEnqueuer: the priority a run is queued with', () => {
  it('is the default level and the run’s rank among its submitter’s waiting runs in its queue', async () => {
    const f = fakes({ rank: 7 });
    await new RunEnqueuer({ retry, fairShare: f.fairShare }).enqueue(f.queue, run('r1'), { share: 'user:alice' });
    assert.deepEqual(f.entered, [{ queue: 'runs', share: 'user:alice', runId: 'r1' }]);
    assert.equal(f.added[0]?.priority, jobPriority(DEFAULT_RUN_PRIORITY, 7));
    assert.equal(f.added[0]?.jobId, 'r1');
  });

  it('takes the level it is given, and puts a re-run two levels below it', async () => {
    const f = fakes({ rank: 1 });
    const enqueuer = new RunEnqueuer({ retry, fairShare: f.fairShare });
    await enqueuer.enqueue(f.queue, run('r1'), { share: 's', level: 2 });
    await enqueuer.enqueue(f.queue, run('r2'), { share: 's', rerun: true });
    await enqueuer.enqueue(f.queue, run('r3'), { share: 's', level: 2, rerun: true });
    assert.deepEqual(
      f.added.map((o) => o.priority),
      [jobPriority(2, 1), jobPriority(7, 1), jobPriority(4, 1)],
    );
  });

  it('is rank 1 of its level without a fair share (every run of a level in the order it came)', async () => {
    const f = fakes();
    await new RunEnqueuer({ retry }).enqueue(f.queue, run('r1'), { share: 's' });
    assert.equal(f.added[0]?.priority, jobPriority(DEFAULT_RUN_PRIORITY, 1));
  });

  it('takes a run that could not be added out of its submitter’s waiting runs', async () => {
    const f = fakes({ refuse: true });
    await assert.rejects(new RunEnqueuer({ retry, fairShare: f.fairShare }).enqueue(f.queue, run('r1'), { share: 's' }), /redis down/);
    assert.deepEqual(f.left, ['r1']);
  });
});
