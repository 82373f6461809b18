import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { FleetRegistry, type Heartbeat, LOST_HOST_KEEP_SECONDS, RunOwnership } from '@modelrun/run-control';
import { infra } from '../helpers/infra';
import { testRedis } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

/** The fleet registry on a real Redis: live and lost hosts, dead processes, drain requests. */
describe('fleet registry', function () {
  this.timeout(20_000);
  let redis: Redis;
  let prefix: string;
  let fleet: FleetRegistry;
  let ownership: RunOwnership;

  before(async () => {
    redis = testRedis((await infra()).redisUrl);
  });
  beforeEach(() => {
    prefix = `t${randomBytes(5).toString('hex')}`;
    fleet = new FleetRegistry(redis, prefix);
    ownership = new RunOwnership(redis, prefix);
  });
  after(async () => {
    await redis?.quit();
  });

  const beat = (host: string, instanceId: string, over: Partial<Heartbeat['process']> = {}, leasePeriodMs = 3_000): Heartbeat => ({
    host,
    labels: { zone: 'a' },
    leasePeriodMs,
    leaseRenewedAt: Date.now(),
    process: {
      instanceId,
      pid: 1,
      hostname: 'm',
      version: '0.1.0',
      concurrency: 2,
      slotsBusy: 0,
      queues: ['runs'],
      metricsUrl: 'http://127.0.0.1:9464',
      startedAt: new Date().toISOString(),
      takingRuns: true,
      engineUp: true,
      volumeWritable: true,
      ...over,
    },
  });

  it('lists a host whose lease is alive as live, with every process and their sum of busy slots', async () => {
    await ownership.renewLease('h1', 3_000);
    await fleet.heartbeat(beat('h1', 'p1', { slotsBusy: 1 }));
    await fleet.heartbeat(beat('h1', 'p2', { slotsBusy: 2 }));
    const [h] = await fleet.list();
    assert.equal(h!.id, 'h1');
    assert.equal(h!.state, 'live');
    assert.deepEqual(h!.processes.map((p) => p.instanceId).sort(), ['p1', 'p2']);
    assert.equal(h!.runningCount, 3);
    assert.deepEqual(h!.labels, { zone: 'a' });
    assert.ok(h!.lease.leftMs > 0 && h!.lease.leftMs <= 3_000);
  });

  it('a process that stops beating drops out after a lease period; one that leaves goes at once', async () => {
    await ownership.renewLease('h1', 3_000);
    await fleet.heartbeat(beat('h1', 'gone'));
    await fleet.heartbeat(beat('h1', 'leaving'));
    await fleet.leave('h1', 'leaving');
    assert.deepEqual(
      (await fleet.get('h1'))!.processes.map((p) => p.instanceId),
      ['gone'],
    );
    await waitFor('the silent process to drop out', async () => ((await fleet.get('h1'))!.processes.length === 0 ? true : undefined), 10_000, 200);
  });

  it('a host whose lease lapsed is lost, since its lease ran out, and is kept a day', async () => {
    const renewedAt = Date.now() - 10_000;
    await fleet.heartbeat({ ...beat('h2', 'p1'), leaseRenewedAt: renewedAt });
    const h = (await fleet.get('h2'))!;
    assert.equal(h.state, 'lost');
    assert.equal(h.lostAt, new Date(renewedAt + 3_000).toISOString());
    assert.equal(h.lease.leftMs, 0);
    assert.equal(h.engineUp, false, 'a lost host vouches for nothing');
    assert.equal((await fleet.list(Date.now() + (LOST_HOST_KEEP_SECONDS - 60) * 1000)).length, 1);
    assert.equal((await fleet.list(Date.now() + (LOST_HOST_KEEP_SECONDS + 60) * 1000)).length, 0, 'gone a day after its last heartbeat');
  });

  it('a drain is stored until resumed, answered to every heartbeat, and draining until nothing runs', async () => {
    await ownership.renewLease('h3', 3_000);
    await fleet.heartbeat(beat('h3', 'p1', { slotsBusy: 1 }));
    assert.equal((await fleet.get('h3'))!.drain, 'active');
    assert.equal(await fleet.drain('h3', { at: new Date().toISOString(), by: 'olga' }), true);
    assert.equal(await fleet.drain('h3', { at: new Date().toISOString(), by: 'olga' }), false, 'once');
    assert.equal((await fleet.heartbeat(beat('h3', 'p1', { slotsBusy: 1 })))?.by, 'olga', 'the worker hears of it with its heartbeat');
    assert.equal((await fleet.get('h3'))!.drain, 'draining');
    await fleet.heartbeat(beat('h3', 'p1', { slotsBusy: 1, takingRuns: false }));
    assert.equal((await fleet.get('h3'))!.drain, 'draining', 'still running one');
    await fleet.heartbeat(beat('h3', 'p1', { slotsBusy: 0, takingRuns: false }));
    const drained = (await fleet.get('h3'))!;
    assert.equal(drained.drain, 'drained');
    assert.equal(drained.drainRequest?.by, 'olga');
    // A new registry (an API or worker restart) reads the same drain.
    assert.equal((await new FleetRegistry(redis, prefix).drainRequest('h3'))?.by, 'olga');
    assert.equal(await fleet.resume('h3'), true);
    assert.equal(await fleet.resume('h3'), false);
    assert.equal(await fleet.heartbeat(beat('h3', 'p1')), undefined);
    assert.equal((await fleet.get('h3'))!.drain, 'active');
  });

  it('keeps deployments apart', async () => {
    await fleet.heartbeat(beat('h4', 'p1'));
    assert.deepEqual(await new FleetRegistry(redis, `${prefix}x`).list(), []);
  });
});
