import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { JobsOptions } from 'bullmq';
import { DEFAULT_RUN_PRIORITY, type RunJobData } from '@modelrun/contracts';
import { type RunQueue, jobPriority } from '@modelrun/queue';
import type { FairShare, FairShareEntry } from '@modelrun/run-control';
import { RunEnqueuer } from '../../../apps/api/src/services/enqueue-run';

const run = (id: string): RunJobData => ({ id, name: 'm', image: 'team/m:1', limits: { timeoutSeconds: 60, memoryMb: 64, cpus: 1, gpus: 0 }, createdAt: new Date(0).toISOString() });

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every settled promise's continuations run (no timers: the enqueuer must need none). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** The request a piece of code runs for, as the API's logging and tracing keep it. */
const request = new AsyncLocalStorage<string>();

/**
 * A fair share whose calls wait until the test answers them (ranks count per submitter, as the
 * script does), and a queue whose adds wait until the test stores or refuses each job.
 */
function world() {
  const calls: { entries: FairShareEntry[]; answer: Deferred<number[]> }[] = [];
  const left: string[] = [];
  const counts = new Map<string, number>();
  const fairShare = {
    enter: (entries: FairShareEntry[]) => {
      const answer = deferred<number[]>();
      calls.push({ entries, answer });
      return answer.promise;
    },
    left: async (runId: string) => void left.push(runId),
  } as unknown as FairShare;
  /** Answers a fair-share call as the script would: each run's rank among its submitter's runs. */
  const rank = (i: number): void => {
    const call = calls[i]!;
    call.answer.resolve(
      call.entries.map((e) => {
        const n = (counts.get(e.submitter) ?? 0) + 1;
        counts.set(e.submitter, n);
        return n;
      }),
    );
  };
  const adds = new Map<string, { opts: JobsOptions; request: string | undefined; stored: Deferred<void> }>();
  const addOrder: string[] = [];
  const queue = {
    name: 'runs',
    toKey: (type: string) => `p:runs:${type}`,
    add: (_name: string, data: RunJobData, opts: JobsOptions) => {
      const stored = deferred<void>();
      adds.set(data.id, { opts, request: request.getStore(), stored });
      addOrder.push(data.id);
      return stored.promise;
    },
  } as unknown as RunQueue;
  const enqueuer = new RunEnqueuer({ retry: { attempts: 3, backoffMs: 100 }, fairShare });
  /** Enqueues a run for a request; records when (and in which request) its caller resumed. */
  const outcomes = new Map<string, string>();
  const submit = (id: string, share = 'user:alice'): Promise<void> =>
    request.run(`req-${id}`, async () => {
      try {
        await enqueuer.enqueue(queue, run(id), { share });
        outcomes.set(id, `stored in ${request.getStore()}`);
      } catch (err) {
        outcomes.set(id, `${(err as Error).message} in ${request.getStore()}`);
      }
    });
  return { calls, rank, left, adds, addOrder, queue, enqueuer, submit, outcomes };
}

describe('RunEnqueuer: concurrent submissions share the fair-share round trip', () => {
  it('sends a lone run at once, with no timer', async () => {
    const w = world();
    const done = w.submit('r1');
    // Synchronously: nothing waits for a tick, let alone a timer.
    assert.equal(w.calls.length, 1);
    assert.deepEqual(
      w.calls[0]!.entries.map((e) => e.runId),
      ['r1'],
    );
    w.rank(0);
    await settle();
    assert.equal(w.adds.get('r1')?.opts.priority, jobPriority(DEFAULT_RUN_PRIORITY, 1));
    w.adds.get('r1')!.stored.resolve();
    await done;
    assert.equal(w.outcomes.get('r1'), 'stored in req-r1');
  });

  it('enters the runs that came while a call was in flight together, in one call, in the order they came', async () => {
    const w = world();
    const all = [w.submit('r1'), w.submit('r2'), w.submit('r3', 'user:bob'), w.submit('r4')];
    assert.equal(w.calls.length, 1, 'r2..r4 wait for the call in flight');
    w.rank(0);
    await settle();
    assert.equal(w.calls.length, 2);
    assert.deepEqual(
      w.calls[1]!.entries.map((e) => [e.runId, e.submitter, e.queue.name, e.queue.prioritizedKey]),
      [
        ['r2', 'user:alice', 'runs', 'p:runs:prioritized'],
        ['r3', 'user:bob', 'runs', 'p:runs:prioritized'],
        ['r4', 'user:alice', 'runs', 'p:runs:prioritized'],
      ],
    );
    w.rank(1);
    await settle();
    // Each job with its own rank: alice's r1, r2, r4 are her 1st, 2nd and 3rd; bob's r3 his 1st.
    assert.deepEqual(w.addOrder, ['r1', 'r2', 'r3', 'r4']);
    assert.deepEqual(
      w.addOrder.map((id) => w.adds.get(id)!.opts.priority),
      [1, 2, 1, 3].map((rank) => jobPriority(DEFAULT_RUN_PRIORITY, rank)),
    );
    for (const id of w.addOrder) w.adds.get(id)!.stored.resolve();
    await Promise.all(all);
    assert.equal(w.calls.length, 2, 'nothing left to enter');
  });

  it('answers each caller when its own job is stored, not before', async () => {
    const w = world();
    const first = w.submit('r1');
    const others = [w.submit('r2'), w.submit('r3')];
    w.rank(0);
    await settle();
    w.rank(1);
    await settle();
    w.adds.get('r3')!.stored.resolve();
    await settle();
    assert.deepEqual([...w.outcomes.keys()], ['r3'], 'r1 and r2 are not stored yet');
    w.adds.get('r1')!.stored.resolve();
    w.adds.get('r2')!.stored.resolve();
    await Promise.all([first, ...others]);
    assert.deepEqual([...w.outcomes.keys()], ['r3', 'r1', 'r2']);
  });

  it('fails only the caller whose job was refused, and takes that run out of its submitter’s waiting runs', async () => {
    const w = world();
    const all = [w.submit('r1'), w.submit('bad'), w.submit('r3')];
    w.rank(0);
    await settle();
    w.rank(1);
    await settle();
    w.adds.get('bad')!.stored.reject(new Error('job refused'));
    w.adds.get('r1')!.stored.resolve();
    w.adds.get('r3')!.stored.resolve();
    await Promise.all(all);
    assert.deepEqual(Object.fromEntries(w.outcomes), { r1: 'stored in req-r1', bad: 'job refused in req-bad', r3: 'stored in req-r3' });
    assert.deepEqual(w.left, ['bad']);
  });

  it('fails the runs of a fair-share call Redis refused, and goes on with those that came after', async () => {
    const w = world();
    const first = w.submit('r1');
    const batch = [w.submit('r2'), w.submit('r3')];
    w.rank(0);
    await settle();
    const later = w.submit('r4');
    w.calls[1]!.answer.reject(new Error('redis down'));
    await settle();
    assert.deepEqual(
      w.calls[2]?.entries.map((e) => e.runId),
      ['r4'],
    );
    w.rank(2);
    await settle();
    for (const id of ['r1', 'r4']) w.adds.get(id)!.stored.resolve();
    await Promise.all([first, ...batch, later]);
    assert.deepEqual(Object.fromEntries(w.outcomes), { r1: 'stored in req-r1', r2: 'redis down in req-r2', r3: 'redis down in req-r3', r4: 'stored in req-r4' });
    assert.deepEqual([...w.adds.keys()], ['r1', 'r4'], 'no job added for a run without a rank');
  });

  it('adds each job in its own caller’s context, never in the one that started the batch', async () => {
    const w = world();
    const all = [w.submit('r1'), w.submit('r2'), w.submit('r3')];
    w.rank(0);
    await settle();
    w.rank(1);
    await settle();
    assert.deepEqual(
      [...w.adds].map(([id, a]) => [id, a.request]),
      [
        ['r1', 'req-r1'],
        ['r2', 'req-r2'],
        ['r3', 'req-r3'],
      ],
    );
    for (const a of w.adds.values()) a.stored.resolve();
    await Promise.all(all);
  });

  it('adds at once, rank 1, without a fair share', async () => {
    const added: JobsOptions[] = [];
    const queue = { name: 'runs', add: async (_n: string, _d: RunJobData, o: JobsOptions) => void added.push(o) } as unknown as RunQueue;
    await new RunEnqueuer({ retry: { attempts: 3, backoffMs: 100 } }).enqueue(queue, run('r1'), { share: 's', level: 2 });
    assert.deepEqual(
      added.map((o) => [o.jobId, o.priority, o.attempts]),
      [['r1', jobPriority(2, 1), 3]],
    );
  });
});
