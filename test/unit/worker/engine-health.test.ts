import assert from 'node:assert/strict';
import { EngineLostError, InfrastructureError } from '@modelrun/runner';
import { EngineHealth, type EngineFaultState } from '../../../apps/worker/src/engine-health';
import { waitFor } from '../../helpers/wait';

const refused = (): InfrastructureError => {
  const cause = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });
  return new InfrastructureError('docker: inspect the container: ECONNREFUSED', { cause });
};

describe('EngineHealth: a host whose engine is unreachable', () => {
  let changes: (EngineFaultState | undefined)[];
  let answers: boolean;
  let pings: number;
  let health: EngineHealth;

  beforeEach(() => {
    changes = [];
    answers = false;
    pings = 0;
    const ping = async (): Promise<void> => {
      pings += 1;
      if (!answers) throw new Error('still unreachable');
    };
    health = new EngineHealth(ping, (f) => changes.push(f), 20);
  });
  afterEach(() => health.stop());

  it('is marked down once by a fault that could not reach the engine, and up once a ping answers', async () => {
    health.sawFault(refused());
    health.sawFault(new EngineLostError('docker: wait for the container (the engine went away)', new Date().toISOString()));
    assert.equal(changes.length, 1);
    assert.match(changes[0]?.error ?? '', /ECONNREFUSED/);
    assert.ok(health.downForMs() >= 0 && health.fault !== undefined);
    // Waited for, not slept on: a loaded machine may run a 20 ms timer late.
    await waitFor('two failed probes', () => (pings >= 2 ? true : undefined), 5_000, 5);
    assert.equal(changes.length, 1, 'still down while pings fail');
    answers = true;
    await waitFor('a probe that answers', () => (changes.length > 1 ? true : undefined), 5_000, 5);
    assert.deepEqual(changes.slice(1), [undefined]);
    assert.equal(health.fault, undefined);
    assert.equal(health.downForMs(), 0);
  });

  it('ignores faults where the engine answered, and file-system errors that share a code', () => {
    health.sawFault(Object.assign(new InfrastructureError('docker: create the container: no space left'), { cause: Object.assign(new Error('(HTTP code 500)'), { statusCode: 500 }) }));
    health.sawFault(Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT', syscall: 'open' }));
    health.sawFault(new Error('anything else'));
    assert.deepEqual(changes, []);
    assert.equal(health.fault, undefined);
  });

  it('stops probing when stopped', async () => {
    health.sawFault(refused());
    health.stop();
    const before = pings;
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(pings, before);
  });
});
