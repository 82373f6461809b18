import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS } from '@modelrun/contracts';
import { DockerProxy } from '../helpers/docker-proxy';
import { testRedis } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { LONG_MODEL, TwoHosts, buildLongModel, loggedAbout, release, workerCounter } from '../helpers/two-hosts';
import { waitFor } from '../helpers/wait';
import { fixture } from '../fixtures/images';

// Short locks, and a 5 s lease, so a lost host's runs are taken over in seconds.
const FAST = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_MAX_STALLED: '10', WORKER_SHUTDOWN_GRACE_SECONDS: '1', WORKER_LEASE_SECONDS: '5' };

/**
 * A host lost whole (its workers and its engine killed, containers and all): once its lease
 * lapses another host takes the run over and finishes it; when the lost host comes back, its
 * leftover container is removed and nothing it did is recorded. And a host cut off (its worker
 * frozen past the lease while its engine runs on) never records what its container produced.
 */
describe('two hosts: a lost host', function () {
  // An engine killed and booted again, a 5 s lease, and models that run until released.
  this.timeout(180_000);
  let stack: Stack;
  let hosts: TwoHosts;

  beforeEach(async () => {
    stack = await startStack({ workers: 0, env: FAST });
    await buildLongModel();
    hosts = await TwoHosts.start(stack, [fixture(LONG_MODEL)]);
  });
  afterEach(async () => {
    await hosts?.stop();
    await stack?.stop();
  });

  const recordPath = (name: string, id: string): string => join(stack.dataDir, 'runs', name, `${id}.json`);

  it('finishes the run on the other host once the lease lapses; the host that comes back removes its leftover and records nothing', async () => {
    const watch = await hosts.watch();
    const b1 = await hosts.worker('b');
    const run = await stack.submit(fixture(LONG_MODEL), 'orphaned');
    await stack.waitForPhase(run.id, 'running', 30_000);
    const a1 = await hosts.worker('a');
    // Host b is lost: its worker and its engine die at once, with the container.
    b1.kill('SIGKILL');
    await b1.exited;
    await hosts.b.kill();
    watch.engineLost('b');
    const lostAt = BigInt(Date.now()) * 1_000_000n;
    await loggedAbout(a1, 'took over a run whose host was lost', run.id, 60_000);
    await release(hosts.a, stack.prefix, run.id);
    const done = await stack.waitForRun(run.id, undefined, 90_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.attempts, 2, 'the lost host counts as a failed attempt');
    const [lost] = done.attemptErrors ?? [];
    assert.match(lost?.message ?? '', new RegExp(`host ${TwoHosts.hostOf(b1)} was lost \\(its lease lapsed\\); the run was taken over by host ${TwoHosts.hostOf(a1)}`));
    // Provenance (issue 18): the record names the host that ran the final try, and the lost host on its failed one.
    assert.equal(done.host, TwoHosts.hostOf(a1), 'the run names host a, which ran its last try');
    assert.equal(lost?.host, TwoHosts.hostOf(b1), 'the failed try names host b, which was lost');
    const started = watch.eventsFor(run.id).filter((e) => e.action === 'start');
    assert.deepEqual(
      started.map((e) => e.engine),
      ['b', 'a'],
      'one start on each host, b first',
    );
    assert.ok(started[1]!.timeNano > lostAt, 'host a started its container only after host b was gone');
    const recorded = readFileSync(recordPath('orphaned', run.id), 'utf8');
    assert.equal(await workerCounter(a1, 'modelrun_run_takeovers_total'), 1, 'host a counted the takeover');

    // Host b comes back: its first worker's reconcile removes the container it left.
    await hosts.b.boot();
    await watch.reattach('b');
    const b2 = await hosts.worker('b');
    await loggedAbout(b2, 'removing a container whose run another host owns now', run.id);
    await waitFor('host b to have no container left', async () => ((await hosts.b.docker.listContainers({ all: true })).length === 0 ? true : undefined), 20_000);
    await watch.stop();
    const onB = watch.eventsFor(run.id).filter((e) => e.engine === 'b');
    assert.deepEqual(onB.filter((e) => e.action === 'start').length, 1, 'host b never started the run again');
    assert.ok(
      onB.some((e) => e.action === 'destroy'),
      "host b's leftover container was destroyed",
    );
    assert.equal(watch.maxAtOnce(run.id, 'running'), 1, 'never two containers of the run running at once');
    assert.equal(readFileSync(recordPath('orphaned', run.id), 'utf8'), recorded, 'the record is unchanged');
    assert.deepEqual(readdirSync(join(stack.dataDir, 'runs', 'orphaned')), [`${run.id}.json`]);
  });

  it('a lost host that comes back before another took its run over: its container from before is removed, never adopted, and the run starts again', async () => {
    const watch = await hosts.watch();
    const b1 = await hosts.worker('b');
    const run = await stack.submit(fixture(LONG_MODEL), 'came-back');
    await stack.waitForPhase(run.id, 'running', 30_000);
    // Host b is lost whole, and no other host has a worker to take the run over meanwhile.
    b1.kill('SIGKILL');
    await b1.exited;
    await hosts.b.kill();
    watch.engineLost('b');
    // Past its lease (5 s): the host counts as lost, whoever asks next. Waited for in Redis, where
    // the lease is a key that lives as long as the lease.
    const redis = testRedis(stack.redisUrl);
    try {
      const host = TwoHosts.hostOf(b1);
      assert.notEqual(host, 'undefined', "host b's worker said which host it is");
      const lease = `${stack.prefix}:own:host:${host}`;
      await waitFor("host b's lease to lapse", async () => ((await redis.exists(lease)) === 0 ? true : undefined), 20_000);
    } finally {
      redis.disconnect();
    }
    await hosts.b.boot();
    await watch.reattach('b');
    const b2 = await hosts.worker('b');
    await loggedAbout(b2, 'took over a run whose host was lost', run.id, 40_000);
    await release(hosts.b.docker, stack.prefix, run.id);
    const done = await stack.waitForRun(run.id, undefined, 90_000);
    await watch.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.2);
    assert.match(done.attemptErrors?.[0]?.message ?? '', /was lost \(its lease lapsed\); the run was taken over/);
    assert.ok(!b2.lines.some((l) => l.message === "adopted the run's existing container" && l.runId === run.id), 'the container from before the loss was not adopted');
    const starts = watch.eventsFor(run.id).filter((e) => e.action === 'start');
    assert.deepEqual(
      starts.map((e) => e.engine),
      ['b', 'b'],
      'started once before the loss and once after',
    );
    assert.equal(watch.idsFor(run.id).size, 2);
    assert.deepEqual(readdirSync(join(stack.dataDir, 'runs', 'came-back')), [`${run.id}.json`]);
  });

  it('a host cut off past its lease: the run is taken over, and what its own container produced is never recorded', async () => {
    const b1 = await hosts.worker('b');
    const run = await stack.submit(fixture(LONG_MODEL), 'cut-off');
    await stack.waitForPhase(run.id, 'running', 30_000);
    const a1 = await hosts.worker('a');
    // Frozen, host b's worker neither renews its lease nor its lock, while its engine runs on.
    b1.kill('SIGSTOP');
    try {
      await loggedAbout(a1, 'took over a run whose host was lost', run.id, 40_000);
    } finally {
      b1.kill('SIGCONT');
    }
    // Thawed, b's worker sees it went a whole lease without renewing: its reconciler removes the
    // container at once, and its delivery finds the run owned elsewhere and records nothing.
    await waitFor('host b to notice its lease lapsed', () => b1.lines.find((l) => String(l.message).startsWith('this worker went a whole lease without renewing it')), 40_000);
    await loggedAbout(b1, 'removing a container whose run another host owns now', run.id, 40_000);
    await loggedAbout(b1, 'run is owned elsewhere now; nothing of this delivery is recorded', run.id, 40_000);
    await release(hosts.a, stack.prefix, run.id);
    const done = await stack.waitForRun(run.id, undefined, 90_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.attempts, 2);
    assert.match(done.attemptErrors?.[0]?.message ?? '', /was lost \(its lease lapsed\); the run was taken over/);
    assert.ok(!b1.lines.some((l) => l.message === 'run recorded' && l.runId === run.id), 'host b recorded nothing');
    assert.ok(
      a1.lines.some((l) => l.message === 'run recorded' && l.runId === run.id),
      'host a recorded the run',
    );
    assert.equal(done.attemptErrors?.length, 1, 'no attempt error from host b, whose container was removed under it');
    assert.equal(done.host, TwoHosts.hostOf(a1), 'the run names host a, which ran its last try');
    assert.equal(done.attemptErrors?.[0]?.host, TwoHosts.hostOf(b1), 'the taken-over try names host b');
    await waitFor('host b to have no container left', async () => ((await hosts.b.docker.listContainers({ all: true })).length === 0 ? true : undefined), 20_000);
  });

  it('a host whose engine stays unreachable past its lease (its worker alive): it takes no runs, lets the lease lapse, and the other host finishes the run; once the engine answers, its leftover goes', async () => {
    // Host a's worker reaches its engine through a switchable socket; the engine itself runs on.
    const proxy = new DockerProxy();
    await proxy.up();
    try {
      const watch = await hosts.watch();
      const a1 = await hosts.worker('a', { DOCKER_HOST: proxy.dockerHost });
      const run = await stack.submit(fixture(LONG_MODEL), 'engine-away');
      await stack.waitForPhase(run.id, 'running', 30_000);
      const b1 = await hosts.worker('b');
      await proxy.down();
      await waitFor('host a to stop taking runs', () => a1.lines.find((l) => l.message === 'the Docker engine is unreachable: taking no new runs until it answers'), 20_000);
      // While a's lease lives, b hands the retry back; after a whole lease without an engine, a
      // stops renewing it and b takes the run over.
      await waitFor('host a to let its lease lapse', () => a1.lines.find((l) => l.message === 'letting the host lease lapse: other hosts take over its runs'), 30_000);
      await loggedAbout(b1, 'took over a run whose host was lost', run.id, 40_000);
      await release(hosts.b.docker, stack.prefix, run.id);
      const done = await stack.waitForRun(run.id, undefined, 90_000);
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.ok(
        b1.lines.some((l) => l.message === 'run recorded' && l.runId === run.id),
        'host b recorded the run',
      );
      assert.ok(!a1.lines.some((l) => l.message === 'run recorded' && l.runId === run.id), 'host a recorded nothing');
      assert.deepEqual(
        watch
          .eventsFor(run.id)
          .filter((e) => e.action === 'start')
          .map((e) => e.engine),
        ['a', 'b'],
        'one start on each host, a first',
      );

      // Host a's engine answers again: the worker resumes, renews its lease after the lapse, and
      // its reconciler removes the container of the run b now owns.
      await proxy.up();
      await loggedAbout(a1, 'removing a container whose run another host owns now', run.id, 40_000);
      await waitFor(
        'host a to have no container of the run left',
        async () => ((await hosts.a.listContainers({ all: true, filters: { label: [`${LABELS.runId}=${run.id}`] } })).length === 0 ? true : undefined),
        20_000,
      );
      await watch.stop();
      assert.ok(a1.lines.some((l) => l.message === 'the Docker engine answers again: taking runs'));
      assert.deepEqual(readdirSync(join(stack.dataDir, 'runs', 'engine-away')), [`${run.id}.json`]);
    } finally {
      await proxy.dispose();
    }
  });
});
