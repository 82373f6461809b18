import assert from 'node:assert/strict';
import { type Job, Queue } from 'bullmq';
import type { Test } from 'supertest';
import { DEFAULT_RUN_PRIORITY, RUN_QUEUE, type RunJobData, type RunView } from '@modelrun/contracts';
import { jobPriority } from '@modelrun/queue';
import { testRedis } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { TwoHosts } from '../helpers/two-hosts';
import { waitFor } from '../helpers/wait';
import { buildFixtures, fixture } from '../fixtures/images';

const SWEEPER = 'tok-Sw7Xq2Wm9Lr4Zt6Nc1Vb8Ky';
const NEWCOMER = 'tok-Nc3Hs8Pd1Qj5Gx0Mw7Ue2Rn';
const FAST_MODEL = fixture('score-json');

/** The queue's jobs that a worker has taken, in the order they were taken. */
async function takenInOrder(queue: Queue<RunJobData>): Promise<Job<RunJobData>[]> {
  const jobs = (await queue.getJobs(['active', 'completed', 'failed'], 0, -1)).filter((j): j is Job<RunJobData> => j?.processedOn !== undefined);
  return jobs.sort((a, b) => a.processedOn! - b.processedOn!);
}

describe('fair share: one submitter’s sweep does not starve another’s runs', function () {
  // A second engine boots (1-5 s) and gets the image; then 25 or so quick runs on six slots.
  this.timeout(150_000);
  let stack: Stack;
  let hosts: TwoHosts;
  let queue: Queue<RunJobData>;
  const conn = () => testRedis(stack.redisUrl);
  let redis: ReturnType<typeof conn>;

  before(async () => {
    await buildFixtures();
    stack = await startStack({ workers: 0, env: { API_TOKENS: `${SWEEPER},${NEWCOMER}`, WORKER_CONCURRENCY: '3' } });
    hosts = await TwoHosts.start(stack, [FAST_MODEL]);
    redis = conn();
    queue = new Queue<RunJobData>(RUN_QUEUE, { connection: redis, prefix: stack.prefix });
  });
  after(async () => {
    await queue?.close();
    redis?.disconnect();
    await hosts?.stop();
    await stack?.stop();
  });

  const submit = async (token: string, name: string): Promise<RunView> => {
    const res = await stack.http.post('/v1/models').set('Authorization', `Bearer ${token}`).send({ image: FAST_MODEL, name });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body as RunView;
  };

  it('starts all five runs of a second submitter before the twentieth of a first submitter’s 60, on two hosts', async () => {
    // Both at once: each worker process takes seconds to start on a loaded machine.
    await Promise.all([hosts.worker('a'), hosts.worker('b')]);
    // The sweep: 60 runs, ten at a time, as a script would send them; the workers take some at once.
    const sweep: RunView[] = [];
    for (let i = 0; i < 60; i += 10) sweep.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => submit(SWEEPER, `sweep-${i + j}`)))));
    const takenBefore = (await takenInOrder(queue)).length;
    const single = await Promise.all(Array.from({ length: 5 }, (_, i) => submit(NEWCOMER, `single-${i}`)));
    const sweepIds = new Set(sweep.map((r) => r.id));
    const singleIds = new Set(single.map((r) => r.id));

    // Until the newcomer's five and twenty of the sweep have been taken by a worker (BullMQ's processedOn:
    // when a worker took the job, which is what the queue's order decides).
    const order = await waitFor(
      'the five runs and twenty of the sweep to be taken',
      async () => {
        const taken = await takenInOrder(queue);
        const ids = taken.map((j) => j.id!);
        return ids.filter((id) => singleIds.has(id)).length === 5 && ids.filter((id) => sweepIds.has(id)).length >= 20 ? ids : undefined;
      },
      120_000,
      250,
    );
    const lastSingle = Math.max(...[...singleIds].map((id) => order.indexOf(id)));
    const sweepBeforeLastSingle = order.slice(0, lastSingle).filter((id) => sweepIds.has(id)).length;
    const positions = [...singleIds].map((id) => order.indexOf(id) + 1).sort((a, b) => a - b);
    // The figures of this run, for the record (docs/operations/scaling.md quotes them).
    console.log(
      `      fair share: ${takenBefore} of the sweep taken before the newcomer submitted; the newcomer's runs were taken ${positions.join(', ')}-th; ${sweepBeforeLastSingle} of the sweep before its last`,
    );
    assert.ok(sweepBeforeLastSingle < 20, `the newcomer's last run was taken after ${sweepBeforeLastSingle} of the sweep's runs (order: ${order.join(' ')})`);
    // Both hosts took the newcomer's runs or the sweep's: the order holds across the fleet.
    const ran = await Promise.all(order.slice(0, lastSingle + 1).map((id) => stack.waitForRun(id, undefined, 60_000)));
    const hostsSeen = new Set(ran.flatMap((run) => (run.host ? [run.host] : [])));
    assert.equal(hostsSeen.size, 2, `runs taken on ${[...hostsSeen].join(', ')}`);
  });
});

describe('run priority: operators may set it, members may not', function () {
  // No worker: the runs stay queued, and their BullMQ priority is read from the queue.
  this.timeout(30_000);
  const ADMIN = 'tok-Ad5Xq2Wm9Lr4Zt6Nc1Vb8Ky';
  let stack: Stack;
  let queue: Queue<RunJobData>;
  let redis: ReturnType<typeof testRedis>;
  const tokens: Record<string, string> = {};
  const as = (who: string) => (t: Test) => t.set('Authorization', `Bearer ${tokens[who] ?? ADMIN}`);

  before(async () => {
    stack = await startStack({ workers: 0, env: { API_TOKENS: ADMIN } });
    for (const [id, role] of [
      ['olga', 'operator'],
      ['alice', 'member'],
    ] as const) {
      assert.equal((await as('admin')(stack.http.post('/v1/users')).send({ id, role })).status, 201);
      const made = await as('admin')(stack.http.post('/v1/tokens')).send({ user: id, name: 'test' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      tokens[id] = made.body.token as string;
    }
    redis = testRedis(stack.redisUrl);
    queue = new Queue<RunJobData>(RUN_QUEUE, { connection: redis, prefix: stack.prefix });
  });
  after(async () => {
    await queue?.close();
    redis?.disconnect();
    await stack?.stop();
  });

  const priorityOf = async (id: string): Promise<number | undefined> => (await queue.getJob(id))?.opts.priority;

  it('refuses a member’s run that names a priority, with a 403 that says who may', async () => {
    const res = await as('alice')(stack.http.post('/v1/models')).send({ image: 'team/model:1', name: 'pushy', priority: 1 });
    assert.equal(res.status, 403);
    assert.match(res.body.error.message, /only operators and admins may set a run's priority/);
    assert.match(res.body.error.message, /you are member/);
  });

  it('queues an operator’s priority-1 run before every default-level run, and a member’s runs by their rank', async () => {
    const first = await as('alice')(stack.http.post('/v1/models')).send({ image: 'team/model:1', name: 'plain' });
    const second = await as('alice')(stack.http.post('/v1/models')).send({ image: 'team/model:1', name: 'plain' });
    const urgent = await as('olga')(stack.http.post('/v1/models')).send({ image: 'team/model:1', name: 'urgent', priority: 1 });
    for (const r of [first, second, urgent]) assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(await priorityOf(first.body.id), jobPriority(DEFAULT_RUN_PRIORITY, 1));
    assert.equal(await priorityOf(second.body.id), jobPriority(DEFAULT_RUN_PRIORITY, 2));
    assert.equal(await priorityOf(urgent.body.id), jobPriority(1, 1));
    // BullMQ hands out the lowest number first: the operator's run, then alice's in order.
    const waiting = await queue.getJobs(['prioritized'], 0, -1, true);
    assert.deepEqual(
      waiting.map((j) => j.id),
      [urgent.body.id, first.body.id, second.body.id],
    );
  });
});
