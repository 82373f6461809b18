import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { RUN_QUEUE, newRunId } from '@modelrun/contracts';
import { RunOwnership } from '@modelrun/run-control';
import { createDockerRunner } from '@modelrun/runner';
import { containersOf, docker } from '../helpers/docker';
import { testRedis } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

const LIMITS = { timeoutSeconds: 60, memoryMb: 64, cpus: 1, gpus: 0 };

/**
 * Fencing on one engine: a container carries the owner (host and fence) it was made for, and
 * is never used for a later fence. Its own host removes it, whether another host owns the run
 * now or its own host owns it again under a newer fence.
 */
describe('fencing: containers made for an owner that no longer owns the run', function () {
  this.timeout(60_000);
  let stack: Stack;

  before(async () => {
    // A lease of an hour, renewed every 20 min: the second test lets this host's lease lapse on
    // purpose for 20 ms, and the worker's own renewal (every 10 s by default) landing in those
    // 20 ms would keep the run from being taken over.
    stack = await startStack({ workers: 1, api: false, env: { WORKER_LEASE_SECONDS: '3600' } });
  });
  after(async () => {
    await stack?.stop();
  });

  const runner = () => createDockerRunner({ deployment: stack.prefix, sandbox: { pidsLimit: 64, tmpMb: 16, logMaxBytes: 65536, outputMaxBytes: 1 << 20, stopGraceSeconds: 1 } });
  const exists = async (id: string): Promise<boolean> =>
    (await docker())
      .getContainer(id)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  it('never adopts a container made for an older fence: it is removed and a new one made', async () => {
    const r = runner();
    const spec = { runId: newRunId(), name: 'fenced', image: fixture('score-json'), limits: LIMITS };
    const first = await r.prepare({ ...spec, owner: { host: 'h', fence: 1 } });
    const again = await r.prepare({ ...spec, owner: { host: 'h', fence: 1 } });
    assert.equal(again.id, first.id, 'the same fence adopts its container');
    assert.equal(again.adopted, true);
    const newer = await r.prepare({ ...spec, owner: { host: 'h', fence: 2 } });
    assert.notEqual(newer.id, first.id);
    assert.equal(newer.adopted, false);
    assert.equal(await exists(first.id), false, 'the older fence’s container is gone');
    await r.remove(newer);
  });

  it("the reconciler removes containers whose run another host or a later fence owns, even while the run's job is in flight", async () => {
    const worker = stack.workers[0]!;
    const redis = testRedis(stack.redisUrl);
    const queue = new Queue(RUN_QUEUE, { connection: redis, prefix: stack.prefix });
    const own = new RunOwnership(redis, stack.prefix);
    try {
      const r = runner();
      const [elsewhere, staleFence, current] = [newRunId(), newRunId(), newRunId()];
      // In flight (delayed an hour): the reconciler's older rule alone would leave all three.
      for (const id of [elsewhere, staleFence, current]) {
        await queue.add('run', { id, name: 'fenced', image: fixture('slow'), limits: LIMITS, createdAt: new Date().toISOString() }, { jobId: id, delay: 3_600_000 });
      }
      // Another host (with no lease, so it counts as lost later) owns `elsewhere`.
      assert.equal((await own.claim(elsewhere, 'ghost')).kind, 'new');
      // `staleFence`: this host owned it (fence 1), a ghost host took it over (2), this host took it back (3).
      await own.claim(staleFence, worker.hostId);
      await own.renewLease('ghost', 60_000);
      await redis.pexpire(`${stack.prefix}:own:host:${worker.hostId}`, 1);
      await waitFor("this host's lease to lapse", async () => ((await redis.exists(`${stack.prefix}:own:host:${worker.hostId}`)) === 0 ? true : undefined), 5_000, 5);
      assert.equal((await own.claim(staleFence, 'ghost')).kind, 'taken');
      await redis.del(`${stack.prefix}:own:host:ghost`);
      const back = await own.claim(staleFence, worker.hostId);
      assert.deepEqual(back, { kind: 'taken', owner: { host: worker.hostId, fence: 3 }, from: 'ghost' });
      await own.renewLease(worker.hostId, 60_000);
      await own.claim(current, worker.hostId);

      const made = {
        elsewhere: await r.prepare({ runId: elsewhere, name: 'fenced', image: fixture('slow'), limits: LIMITS, owner: { host: worker.hostId, fence: 1 } }),
        staleFence: await r.prepare({ runId: staleFence, name: 'fenced', image: fixture('slow'), limits: LIMITS, owner: { host: worker.hostId, fence: 1 } }),
        current: await r.prepare({ runId: current, name: 'fenced', image: fixture('slow'), limits: LIMITS, owner: { host: worker.hostId, fence: 1 } }),
      };
      await r.start(made.elsewhere);
      const report = await worker.reconcileNow();
      assert.equal(report?.removed, 2, JSON.stringify(report));
      const left = (await containersOf(stack.prefix)).map((c) => c.Id);
      assert.deepEqual(left, [made.current.id], `only the container of the current owner and fence is left (made: ${JSON.stringify(made)})`);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
