import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, WaitingError } from 'bullmq';
import type { Job } from 'bullmq';
import { type AttemptError, ImageAllowList, type RunJobData, type RunRecord, newRunId } from '@modelrun/contracts';
import type { PendingOutcome, PendingOutcomes, RunControl, RunOwner, RunOwnership } from '@modelrun/run-control';
import { EngineStoppedError, HandedBackError, InfrastructureError, ModelFault } from '@modelrun/runner';
import { RecordStore } from '@modelrun/store';
import { type ProcessorDeps, type RunProcessor, createRunProcessor } from '../../../apps/worker/src/run/processor';
import { Recorder } from '../../../apps/worker/src/recording/recorder';
import { VolumeHealth } from '../../../apps/worker/src/recording/volume-health';
import { testLogger } from '../../helpers/logger';
import { FakeRunner, type Script } from './fake-runner';

const LIMITS = { timeoutSeconds: 60, memoryMb: 256, cpus: 1, gpus: 0 };

/** Run control and ownership in memory: one host, no other delivery racing this one. */
function fakeControl() {
  const attemptErrors = new Map<string, AttemptError[]>();
  const cancels = new Map<string, string>();
  const images = new Map<string, string>();
  const control = {
    pinnedImage: async (id: string) => images.get(id),
    pinImage: async (id: string, ref: string) => {
      if (!images.has(id)) images.set(id, ref);
      return images.get(id)!;
    },
    cancelRequestedAt: async (id: string) => cancels.get(id),
    recordAttemptError: async (id: string, e: AttemptError) => void attemptErrors.set(id, [...(attemptErrors.get(id) ?? []), e]),
    attemptErrors: async (id: string) => attemptErrors.get(id) ?? [],
    appendLiveLog: async () => undefined,
    noteEngineLost: async () => undefined,
    engineLostAt: async () => [],
    clear: async () => undefined,
  } as unknown as RunControl;
  const owner: RunOwner = { host: 'host-a', fence: 1 };
  const ownership = {
    claim: async () => ({ kind: 'new', owner }),
    owner: async () => owner,
    clear: async () => undefined,
  } as unknown as RunOwnership;
  // Outcomes kept until the volume takes them: here the volume always does, so each is dropped at once.
  const kept = new Map<string, PendingOutcome>();
  const pending = {
    keep: async (o: PendingOutcome) => void kept.set(o.record.id, o),
    get: async (id: string) => kept.get(id),
    done: async (id: string) => void kept.delete(id),
    ids: async () => [...kept.keys()],
    noteError: async () => undefined,
  } as unknown as PendingOutcomes;
  return { control, ownership, pending, attemptErrors, cancels };
}

interface FakeJob {
  data: RunJobData;
  attemptsMade: number;
  attemptsStarted: number;
  stalledCounter: number;
  opts: { attempts: number };
  phases: string[];
  movedToWait: boolean;
}

function job(data: RunJobData, attempt = 1, attempts = 3): Job<RunJobData> & FakeJob {
  const j = {
    data,
    attemptsMade: attempt - 1,
    attemptsStarted: attempt,
    stalledCounter: 0,
    opts: { attempts },
    phases: [] as string[],
    movedToWait: false,
    updateProgress: async (p: { phase: string }) => void j.phases.push(p.phase),
    moveToWait: async () => void (j.movedToWait = true),
    moveToDelayed: async () => undefined,
  };
  return j as unknown as Job<RunJobData> & FakeJob;
}

describe('the run processor, step by step (on a fake ModelRunner)', () => {
  let dir: string;
  let store: RecordStore;
  let runner: FakeRunner;
  let world: ReturnType<typeof fakeControl>;
  let handback: AbortController;
  let processRun: RunProcessor;
  const run = (over: Partial<RunJobData> = {}): RunJobData => ({ id: newRunId(), name: 'digits', image: 'team/model:1', limits: LIMITS, createdAt: new Date().toISOString(), ...over });

  const make = (over: Partial<ProcessorDeps> = {}): RunProcessor =>
    createRunProcessor({
      runner,
      store,
      recorder: new Recorder({ store, pending: world.pending, volume: new VolumeHealth(() => undefined), log: testLogger('worker'), retryMaxMs: 1000 }),
      control: world.control,
      ownership: world.ownership,
      hostId: 'host-a',
      log: testLogger('worker'),
      allowedImages: new ImageAllowList([]),
      limits: { defaults: LIMITS, ceilings: { timeoutSeconds: 120, memoryMb: 512, cpus: 2, gpus: 0 } },
      handback: handback.signal,
      logMaxBytes: 65536,
      // Every phase written at once, so the order of phases can be checked.
      progressSettleMs: 0,
      ...over,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-processor-'));
    store = new RecordStore(dir);
    runner = new FakeRunner();
    world = fakeControl();
    handback = new AbortController();
    processRun = make();
  });
  afterEach(async () => {
    await processRun.drain();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prepares, runs, collects and records a run in that order, then removes its container', async () => {
    runner.script = { scoreJson: '{"score": 0.93, "metrics": {"acc": 0.93}}', logs: 'epoch 1\n' };
    const data = run();
    const j = job(data);
    const result = await processRun(j);
    assert.deepEqual(result, { id: data.id, name: 'digits', status: 'succeeded', score: 0.93 });
    assert.deepEqual(runner.calls, ['prepare', 'start', 'wait', 'collect', 'logs']);
    assert.deepEqual(j.phases, ['pulling', 'starting', 'running', 'collecting']);
    const rec = await store.readRecord('digits', data.id);
    assert.equal(rec?.score, 0.93);
    assert.deepEqual(rec?.metrics, { acc: 0.93 });
    assert.equal(rec?.startedAt, '2026-01-01T00:00:01.000Z');
    assert.equal(rec?.durationMs, 3000);
    assert.equal(rec?.attempts, 1);
    assert.equal((await store.readLog('digits', data.id))?.toString(), 'epoch 1\n');
    await processRun.drain();
    assert.deepEqual(runner.removed, [`c-${data.id}`]);
  });

  it("holds a job to this worker's ceilings, and records what it applied", async () => {
    const data = run({ limits: { timeoutSeconds: 600, memoryMb: 4096, cpus: 8, gpus: 0 } });
    await processRun(job(data));
    assert.deepEqual(runner.specs[0]?.limits, { timeoutSeconds: 120, memoryMb: 512, cpus: 2, gpus: 0 });
    assert.deepEqual((await store.readRecord('digits', data.id))?.limits, { timeoutSeconds: 120, memoryMb: 512, cpus: 2, gpus: 0 });
  });

  // A failing model's output is read too, so a write past the output's cap (the likely cause of
  // the exit) is what the run is told; a read that breaks then leaves the exit code to decide.
  // A timeout, OOM kill or cancel explains the exit itself: nothing to read then.
  const FAILED_EXITS: { what: string; script: Script; reads: boolean; reason: string; error: RegExp }[] = [
    { what: 'a non-zero exit with a usable output', script: { exit: { exitCode: 3 } }, reads: true, reason: 'exit_code', error: /exited with code 3/ },
    {
      what: 'a non-zero exit whose output read breaks',
      script: { exit: { exitCode: 3 }, scoreJson: new Error('copy of /output broke off') },
      reads: true,
      reason: 'exit_code',
      error: /exited with code 3/,
    },
    {
      what: 'a non-zero exit after a write past the output cap',
      script: { exit: { exitCode: 1 }, output: { overCap: true, problem: 'the output folder holds more than its limit of 16 MiB' } },
      reads: true,
      reason: 'bad_output',
      error: /more than its limit/,
    },
    { what: 'a timeout', script: { exit: { exitCode: 137, timedOut: true }, output: { overCap: true } }, reads: false, reason: 'timeout', error: /time limit/ },
    { what: 'an OOM kill', script: { exit: { exitCode: 137, oomKilled: true }, output: { overCap: true } }, reads: false, reason: 'oom', error: /out of memory/ },
  ];
  for (const c of FAILED_EXITS) {
    it(`fails the job without a retry on ${c.what}: ${c.reason}${c.reads ? ', after reading the output' : ', reading no output'}`, async () => {
      runner.script = c.script;
      const data = run();
      await assert.rejects(processRun(job(data, 1, 5)), (err) => err instanceof UnrecoverableError && err.message.startsWith(`${c.reason}: `));
      assert.equal(runner.calls.includes('collect'), c.reads, `calls: ${runner.calls.join(',')}`);
      const rec = await store.readRecord('digits', data.id);
      assert.equal(rec?.reason, c.reason);
      assert.match(rec!.error!, c.error);
      assert.equal(world.attemptErrors.size, 0, 'a model fault is not an attempt error');
    });
  }

  it('ends a redelivered run that is already recorded without a container', async () => {
    const data = run();
    await processRun(job(data));
    runner.calls.length = 0;
    const again = await processRun(job(data, 2));
    assert.equal(again.status, 'succeeded');
    assert.deepEqual(runner.calls, [], 'no container step ran');
  });

  it('adopts the container a previous delivery left, and records the run once', async () => {
    runner.script = { prepare: { adopted: true } };
    let adopted = 0;
    processRun = make({ observer: { adopted: () => void adopted++ } });
    const data = run();
    await processRun(job(data, 2));
    assert.equal(adopted, 1);
    assert.equal((await store.readRecord('digits', data.id))?.status, 'succeeded');
  });

  it('records a disallowed image and a cancel before start without preparing a container', async () => {
    processRun = make({ allowedImages: new ImageAllowList(['registry.example/*']) });
    const refused = run();
    await assert.rejects(processRun(job(refused)), UnrecoverableError);
    assert.equal((await store.readRecord('digits', refused.id))?.reason, 'image_not_allowed');

    processRun = make();
    const cancelled = run();
    world.cancels.set(cancelled.id, '2026-01-01T00:00:00.500Z');
    await assert.rejects(processRun(job(cancelled)), UnrecoverableError);
    const rec = await store.readRecord('digits', cancelled.id);
    assert.equal(rec?.status, 'cancelled');
    assert.equal(rec?.finishedAt, '2026-01-01T00:00:00.500Z');
    assert.deepEqual(runner.calls, []);
  });

  it('fails a model fault at once (no retry), even with attempts left', async () => {
    runner.script = { prepare: new ModelFault('image_not_found', 'pull access denied for team/model') };
    const data = run();
    await assert.rejects(processRun(job(data, 1, 5)), UnrecoverableError);
    const rec = await store.readRecord('digits', data.id);
    assert.equal(rec?.reason, 'image_not_found');
    assert.match(rec!.error!, /pull access denied/);
    assert.equal(world.attemptErrors.size, 0, 'a model fault is not an attempt error');
  });

  it('retries an infrastructure fault: keeps the error and the container, records nothing', async () => {
    runner.script = { exit: new InfrastructureError('docker: connect ECONNREFUSED') };
    const data = run();
    await assert.rejects(processRun(job(data, 1, 3)), InfrastructureError);
    assert.equal(await store.readRecord('digits', data.id), undefined);
    assert.deepEqual(
      world.attemptErrors.get(data.id)?.map((e) => [e.attempt, e.message]),
      [[1, 'docker: connect ECONNREFUSED']],
    );
    await processRun.drain();
    assert.deepEqual(runner.removed, [], 'the container is kept for the retry to adopt');
  });

  it("keeps the engine's stop as the try's fault when the engine, still going down, refuses the container's removal", async () => {
    runner.script = { exit: { exitCode: 143, engineStopped: true }, removeFails: new InfrastructureError('docker: remove the output volume: get v: database not open') };
    const data = run();
    await assert.rejects(processRun(job(data, 1, 3)), EngineStoppedError);
    assert.equal(await store.readRecord('digits', data.id), undefined);
    const [message] = world.attemptErrors.get(data.id)?.map((e) => e.message) ?? [];
    assert.match(message ?? '', /^docker: the engine stopped the run's container .*; removing it failed too: docker: remove the output volume: get v: database not open$/);
  });

  it('runs the digest its first pull resolved to on every later try, and records it', async () => {
    runner.script = { exit: new InfrastructureError('docker: connect ECONNREFUSED') };
    runner.digest = 'registry.example/team/model@sha256:aaaa';
    const data = run();
    await assert.rejects(processRun(job(data, 1, 3)), InfrastructureError);
    // The tag is pushed again: the engine would now resolve it to another digest.
    runner.digest = 'registry.example/team/model@sha256:bbbb';
    runner.script = {};
    await processRun(job(data, 2, 3));
    assert.deepEqual(
      runner.specs.map((s) => s.image),
      [data.image, 'registry.example/team/model@sha256:aaaa'],
    );
    const rec = (await store.readRecord('digits', data.id)) as RunRecord;
    assert.equal(rec.image, data.image, 'the image as submitted');
    assert.equal(rec.imageDigest, 'registry.example/team/model@sha256:aaaa');
  });

  it("gives up after the last attempt: failed, infrastructure, with every attempt's error", async () => {
    runner.script = { exit: new InfrastructureError('docker: connect ECONNREFUSED') };
    const data = run();
    for (const attempt of [1, 2]) await assert.rejects(processRun(job(data, attempt, 3)), InfrastructureError);
    await assert.rejects(processRun(job(data, 3, 3)), UnrecoverableError);
    const rec = (await store.readRecord('digits', data.id)) as RunRecord;
    assert.equal(rec.reason, 'infrastructure');
    assert.match(rec.error!, /after 3 attempts: docker: connect ECONNREFUSED/);
    assert.equal(rec.attempts, 3);
    assert.deepEqual(
      rec.attemptErrors?.map((e) => e.attempt),
      [1, 2, 3],
    );
    // Which host ran each try, and the last.
    assert.deepEqual(
      rec.attemptErrors?.map((e) => e.host),
      ['host-a', 'host-a', 'host-a'],
    );
    assert.equal(rec.host, 'host-a');
    await processRun.drain();
    assert.deepEqual(runner.removed, [`c-${data.id}`], 'removed once the run is recorded');
  });

  it('hands a run back at shutdown: back to waiting, container left running, nothing recorded', async () => {
    runner.script = { exit: new HandedBackError() };
    const data = run();
    const j = job(data);
    await assert.rejects(processRun(j), WaitingError);
    assert.equal(j.movedToWait, true);
    assert.equal(await store.readRecord('digits', data.id), undefined);
    await processRun.drain();
    assert.deepEqual(runner.removed, []);
  });
});
