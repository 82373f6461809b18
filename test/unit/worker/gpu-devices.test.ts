import assert from 'node:assert/strict';
import type { GpuDevicesInUse } from '@modelrun/runner';
import { GpuDevices } from '../../../apps/worker/src/gpu/devices';

/** The engine's containers holding devices, as their labels say (what gpuDevicesInUse reads). */
function engineWith(containers: GpuDevicesInUse[]) {
  return { gpuDevicesInUse: async () => containers };
}

describe('GpuDevices (WORKER_GPUS)', () => {
  it('hands out free devices by id, never one a container on the engine holds, whoever made it', async () => {
    const gpus = new GpuDevices(['0', '1', '2', '3'], engineWith([{ runId: 'other', deployment: 'another-deployment', devices: ['1'] }]));
    const r = await gpus.reserve('run-a', 2);
    assert.deepEqual(r.kind === 'reserved' && r.reservation.devices, ['0', '2']);
  });

  it('never gives two runs of this worker the same device, even when asked at once, until released', async () => {
    const gpus = new GpuDevices(['0', '1', '2'], engineWith([]));
    const [a, b, c] = await Promise.all([gpus.reserve('a', 1), gpus.reserve('b', 2), gpus.reserve('c', 1)]);
    assert.deepEqual(a.kind === 'reserved' && a.reservation.devices, ['0']);
    assert.deepEqual(b.kind === 'reserved' && b.reservation.devices, ['1', '2']);
    assert.deepEqual(c, { kind: 'busy', free: 0, never: false });
    if (a.kind === 'reserved') a.reservation.release();
    const again = await gpus.reserve('c', 1);
    assert.deepEqual(again.kind === 'reserved' && again.reservation.devices, ['0']);
  });

  it('leaves a run with its own container the devices that container holds (adoption, restarts)', async () => {
    const gpus = new GpuDevices(['0', '1'], engineWith([{ runId: 'adopted', deployment: 'd', devices: ['0', '1'] }]));
    assert.deepEqual(await gpus.reserve('adopted', 2), { kind: 'own-container', devices: ['0', '1'] });
    assert.deepEqual(await gpus.reserve('newcomer', 1), { kind: 'busy', free: 0, never: false });
  });

  it('counts its devices free and held, by the engine and its own reservations', async () => {
    const gpus = new GpuDevices(['0', '1', '2'], engineWith([{ runId: 'x', deployment: 'd', devices: ['2', '7'] }]));
    await gpus.reserve('y', 1);
    assert.deepEqual(await gpus.counts(), { free: 1, held: 2 });
  });

  it('says when a run asks for more devices than this worker has at all', async () => {
    const gpus = new GpuDevices(['0'], engineWith([]));
    assert.deepEqual(await gpus.reserve('big', 2), { kind: 'busy', free: 1, never: true });
  });
});
