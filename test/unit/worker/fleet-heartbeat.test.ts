import assert from 'node:assert/strict';
import type { DrainRequest, EngineFacts } from '@modelrun/contracts';
import type { FleetRegistry, Heartbeat } from '@modelrun/run-control';
import { startHeartbeat } from '../../../apps/worker/src/fleet/heartbeat';
import { testLogger } from '../../helpers/logger';

const FACTS: EngineFacts = { engineVersion: '27.0.0', runtimes: ['runc'], imagesCached: 3, diskUsedBytes: 1024, checkedAt: new Date(0).toISOString() };

/** A registry that records each heartbeat and answers the drain request the test sets. */
function fakeRegistry() {
  const beats: Heartbeat[] = [];
  let drain: DrainRequest | undefined;
  const registry = {
    heartbeat: async (b: Heartbeat) => {
      beats.push(b);
      return drain;
    },
    leave: async () => undefined,
  } as unknown as FleetRegistry;
  return { registry, beats, setDrain: (d: DrainRequest | undefined) => (drain = d) };
}

describe('fleet heartbeat', () => {
  const start = (registry: FleetRegistry, o: { engineFacts?: () => Promise<EngineFacts>; onDrain?: (d: boolean) => void; queues?: () => string[]; busy?: () => number } = {}) =>
    startHeartbeat({
      registry,
      host: 'h',
      instanceId: 'h:1:abc',
      labels: { zone: 'a' },
      leaseSeconds: 30,
      concurrency: 2,
      queues: o.queues ?? (() => ['runs']),
      metricsUrl: 'http://127.0.0.1:9465',
      state: { slotsBusy: o.busy ?? (() => 0), refusing: () => undefined, engineUp: () => true, volumeWritable: () => true, leaseRenewedAt: () => 1 },
      engineFacts: o.engineFacts ?? (async () => FACTS),
      onDrain: o.onDrain ?? (() => undefined),
      log: testLogger('worker'),
    });

  it('asks the engine once a minute, not every beat, and again at once after a failed read', async () => {
    const { registry, beats } = fakeRegistry();
    let asked = 0;
    let fail = true;
    const hb = start(registry, {
      engineFacts: async () => {
        asked++;
        if (fail) throw new Error('engine busy');
        return FACTS;
      },
    });
    await hb.beatNow();
    fail = false;
    await hb.beatNow();
    await hb.beatNow();
    await hb.stop();
    assert.equal(asked, 2, 'the failed read, then one that worked; the third beat asked nothing');
    assert.deepEqual(
      beats.map((b) => b.engine?.engineVersion),
      [undefined, '27.0.0', undefined],
      'figures ride along only when read again',
    );
  });

  it('publishes what the process does now: busy slots and the queues it consumes at each beat', async () => {
    const { registry, beats } = fakeRegistry();
    let busy = 0;
    const queues = ['runs'];
    const hb = start(registry, { busy: () => busy, queues: () => [...queues] });
    await hb.beatNow();
    busy = 2;
    queues.push('runs@zone=a');
    await hb.beatNow();
    await hb.stop();
    assert.deepEqual(
      beats.map((b) => [b.process.slotsBusy, b.process.queues.join(' '), b.process.takingRuns]),
      [
        [0, 'runs', true],
        [2, 'runs runs@zone=a', true],
      ],
    );
    assert.equal(beats[0]!.process.metricsUrl, 'http://127.0.0.1:9465');
  });

  it('tells the worker when its host is drained and when it is resumed, once each', async () => {
    const { registry, setDrain } = fakeRegistry();
    const heard: boolean[] = [];
    const hb = start(registry, { onDrain: (d) => heard.push(d) });
    await hb.beatNow();
    setDrain({ at: new Date().toISOString(), by: 'olga' });
    await hb.beatNow();
    await hb.beatNow();
    setDrain(undefined);
    await hb.beatNow();
    await hb.stop();
    assert.deepEqual(heard, [true, false]);
  });
});
