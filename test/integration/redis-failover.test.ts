import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { RUN_QUEUE, type RunView } from '@modelrun/contracts';
import { containersOf } from '../helpers/docker';
import { watchContainers } from '../helpers/container-watch';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { testRedis } from '../helpers/redis-server';
import { type SentinelTopology, startSentinelTopology } from '../helpers/sentinel';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

interface Answer {
  at: number;
  status: number;
  run?: RunView;
}

interface Setup {
  title: string;
  replicas: number;
  password?: string;
  env: Record<string, string>;
  /** A crash (`kill -9` of the primary) or a planned switch (SENTINEL FAILOVER: the old primary lives on, demoted). */
  fault: 'kill' | 'switch';
}

const SETUPS: Setup[] = [
  { title: 'one replica and the default REDIS_WAIT_REPLICAS=0', replicas: 1, env: {}, fault: 'kill' },
  // With REDIS_WAIT_REPLICAS=1, a second replica must be left to confirm writes once the first is
  // promoted (the setup docs/operations/guarantees.md recommends); a password, as production Redis has one.
  { title: 'two replicas, a password and REDIS_WAIT_REPLICAS=1', replicas: 2, password: 'pass/word@1', env: { REDIS_WAIT_REPLICAS: '1' }, fault: 'kill' },
  // Connections to the demoted primary are cut by Sentinel or answered READONLY: both must lead to the new one.
  { title: 'a planned switch, one replica and REDIS_WAIT_REPLICAS=1', replicas: 1, env: { REDIS_WAIT_REPLICAS: '1' }, fault: 'switch' },
];

for (const setup of SETUPS)
  describe(`Redis with Sentinel: ${setup.title}`, function () {
    // Starting four or five Redis processes, a failover (about 3 s), and a batch of runs to finish.
    this.timeout(120_000);
    let topology: SentinelTopology;
    let stack: Stack;
    let worker: AppProcess | undefined;

    before(async () => {
      topology = await startSentinelTopology({ replicas: setup.replicas, ...(setup.password && { password: setup.password }) });
      stack = await startStack({ redisUrl: topology.url, workers: 0, env: { ...setup.env, WORKER_CONCURRENCY: '4' } });
    });
    after(async () => {
      if (worker) {
        worker.kill('SIGKILL');
        await worker.exited;
      }
      await stack?.stop();
      await topology?.stop();
    });

    const fault = setup.fault === 'kill' ? 'the primary is killed -9' : 'the sentinels switch primaries (SENTINEL FAILOVER)';
    it(`loses no accepted run and runs none twice when ${fault} in the middle of a batch`, async () => {
      worker = spawnApp('worker', stack.env);
      await worker.waitForLog('worker started');
      const watch = await watchContainers(stack.prefix);
      const answers: Answer[] = [];
      const post = async (i: number): Promise<void> => {
        const res = await stack.http.post('/v1/models').send({ image: fixture(i % 2 ? 'short-sleep' : 'score-json'), name: `batch-${i % 3}` });
        answers.push({ at: Date.now(), status: res.status, ...(res.status === 202 && { run: res.body as RunView }) });
      };

      // A batch before the failover, until some of it is running.
      let i = 0;
      while (i < 8) await post(i++);
      await waitFor('a run of the batch to be running', async () => ((await containersOf(stack.prefix)).some((c) => c.State === 'running') ? true : undefined), 20_000);
      const oldPrimary = await topology.primaryPort();
      const killedAt = Date.now();
      if (setup.fault === 'kill') await topology.killPrimary();
      else await topology.switchPrimary();

      // Keep submitting through the switch until five in a row are accepted again.
      let acceptedInARow = 0;
      while (acceptedInARow < 5) {
        assert.ok(Date.now() - killedAt < 45_000, `submissions did not resume within 45 s: ${JSON.stringify(answers.map((a) => a.status))}`);
        await post(i++);
        acceptedInARow = answers.at(-1)!.status === 202 ? acceptedInARow + 1 : 0;
        await sleep(100);
      }
      assert.notEqual(await topology.primaryPort(), oldPrimary, 'a replica was promoted');

      const accepted = answers.filter((a) => a.run).map((a) => a.run!);
      const refused = answers.filter((a) => a.status !== 202);
      assert.ok(
        refused.every((a) => a.status === 503),
        `only 503s while switching: ${JSON.stringify(refused.map((a) => a.status))}`,
      );
      // A crash: 1 s until the sentinels agree it is down, the election, the promotion, clients
      // reconnecting (at most 2 s apart): about 3 s. A planned switch: Sentinel demotes the old
      // primary (and cuts its clients) some 10 s after promoting the replica; until then WAIT finds
      // no replica there. Headroom for a loaded machine on both.
      const bound = setup.fault === 'kill' ? 20_000 : 30_000;
      for (const a of refused) assert.ok(a.at >= killedAt && a.at - killedAt < bound, `a 503 ${a.at - killedAt} ms after the fault`);

      const finished = await Promise.all(accepted.map((run) => stack.waitForRun(run.id, undefined, 60_000)));
      await watch.stop();
      for (const run of finished) {
        assert.equal(run.status, 'succeeded', JSON.stringify(run));
        assert.ok(existsSync(join(stack.dataDir, 'runs', run.name, `${run.id}.json`)), `run ${run.id} is recorded`);
        assert.equal(watch.idsFor(run.id).size, 1, `run ${run.id} had exactly one container: ${JSON.stringify(watch.eventsFor(run.id).map((e) => [e.id.slice(0, 12), e.action]))}`);
      }
      // A 503 may come after the run was stored (the reply was lost): such a run may run, but once.
      const conn = testRedis(stack.redisUrl);
      const queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
      try {
        const jobs = await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'prioritized', 'delayed']);
        assert.ok(jobs.length >= accepted.length, `the queue knows ${jobs.length} runs, ${accepted.length} were accepted`);
        for (const job of jobs) assert.ok(watch.idsFor(job.id!).size <= 1, `run ${job.id} had ${watch.idsFor(job.id!).size} containers`);
      } finally {
        await queue.close();
        conn.disconnect();
      }
      if (setup.password) assert.ok(!JSON.stringify(worker.lines).includes(setup.password), 'the worker never logs the Redis password');
      console.log(`      ${accepted.length} accepted, ${refused.length} refused with 503 over ${refused.length ? refused.at(-1)!.at - refused[0]!.at : 0} ms`);
    });
  });

describe('REDIS_WAIT_REPLICAS', () => {
  let stack: Stack;

  before(async () => {
    // The tests' own Redis has no replica, so no write can ever be confirmed.
    stack = await startStack({ workers: 0, env: { REDIS_WAIT_REPLICAS: '1' } });
  });
  after(async () => {
    await stack?.stop();
  });

  it('answers 503 when no replica confirms a submission, and a retry with its key finds the same run', async () => {
    const send = () =>
      stack.http
        .post('/v1/models')
        .set('Idempotency-Key', 'unconfirmed-1')
        .send({ image: fixture('score-json'), name: 'unconfirmed' });
    const started = Date.now();
    const first = await send();
    assert.equal(first.status, 503, JSON.stringify(first.body));
    assert.match(first.body.error.message, /no Redis replica confirmed it in time/);
    // WAIT gives up after 1 s; the answer must not hang beyond that (headroom for load).
    assert.ok(Date.now() - started < 5_000, `answered after ${Date.now() - started} ms`);
    const again = await send();
    assert.equal(again.status, 503);
    const conn = testRedis(stack.redisUrl);
    const queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
    try {
      // Every submission has a BullMQ priority now (fair share): a queued run is in `prioritized`.
      assert.equal((await queue.getJobs(['waiting', 'prioritized'])).length, 1, 'one run for the key, queued on the primary');
    } finally {
      await queue.close();
      conn.disconnect();
    }
  });
});
