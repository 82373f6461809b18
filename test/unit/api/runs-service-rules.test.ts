import assert from 'node:assert/strict';
import { ImageAllowList, type RunRecord, isRunId, runIdAt } from '@modelrun/contracts';
import { NotReplicatedError } from '@modelrun/queue';
import { IdempotencyConflict, ImageNotAllowed, InvalidRequest, QueueUnavailable, RunAlreadyEnded, RunNotFound } from '../../../apps/api/src/services/errors';
import { RunsService } from '../../../apps/api/src/services/runs-service';
import { FakeRunWorld } from './fake-run-deps';

const REQ = { image: 'team/model:1', name: 'digits' };

describe('RunsService', () => {
  let world: FakeRunWorld;
  let runs: RunsService;
  beforeEach(() => {
    world = new FakeRunWorld();
    runs = new RunsService(world.deps());
  });

  describe('submit', () => {
    it('enqueues one job named after the run, with the default limits and the retry policy, and lists it at once', async () => {
      const { run, replayed } = await runs.submit(REQ, 'p1');
      assert.equal(replayed, false);
      assert.ok(isRunId(run.id));
      assert.equal(run.status, 'queued');
      assert.deepEqual(run.limits, { timeoutSeconds: 600, memoryMb: 1024, cpus: 1, gpus: 0 });
      assert.equal(world.added.length, 1);
      assert.equal(world.added[0]!.jobId, run.id);
      assert.equal(world.added[0]!.attempts, 3);
      assert.equal(world.index.getRun(run.id)?.status, 'queued');
    });

    it('refuses an image outside the allow list with ImageNotAllowed, enqueuing nothing', async () => {
      runs = new RunsService(world.deps({ allowedImages: new ImageAllowList(['registry.example/team/*']) }));
      await assert.rejects(runs.submit(REQ, 'p1'), (err) => err instanceof ImageNotAllowed && /allowed: registry\.example\/team\/\*/.test(err.message));
      assert.equal(world.added.length, 0);
    });

    it('refuses limits over a ceiling with InvalidRequest naming it', async () => {
      await assert.rejects(runs.submit({ ...REQ, limits: { memoryMb: 9000 } }, 'p1'), (err) => err instanceof InvalidRequest && /8192/.test(err.message));
      assert.equal(world.added.length, 0);
    });

    it('answers QueueUnavailable when Redis is down, and stores nothing', async () => {
      world.down = true;
      await assert.rejects(runs.submit(REQ, 'p1'), (err) => err instanceof QueueUnavailable && err.retryAfterSeconds === 5 && /ECONNREFUSED/.test(err.detail));
      assert.equal(world.index.runCount, 0);
    });

    it('gives the same run for the same Idempotency-Key and request, enqueuing once', async () => {
      const first = await runs.submit(REQ, 'p1', 'key-1');
      const again = await runs.submit({ name: REQ.name, image: REQ.image }, 'p1', 'key-1');
      assert.equal(again.replayed, true);
      assert.equal(again.run.id, first.run.id);
      assert.equal(world.added.length, 1);
    });

    it('scopes a key to its caller: another principal with the same key gets a new run', async () => {
      const first = await runs.submit(REQ, 'p1', 'key-1');
      const other = await runs.submit(REQ, 'p2', 'key-1');
      assert.notEqual(other.run.id, first.run.id);
      assert.equal(world.added.length, 2);
    });

    it('refuses a key reused with a different request (IdempotencyConflict)', async () => {
      await runs.submit(REQ, 'p1', 'key-1');
      await assert.rejects(runs.submit({ ...REQ, name: 'other' }, 'p1', 'key-1'), (err) => err instanceof IdempotencyConflict && err.why === 'different_request');
    });

    it('releases its key when the enqueue fails, so a retry with it can succeed', async () => {
      let failNext = true;
      const queue = world.queue();
      const add = queue.add.bind(queue);
      queue.add = ((...args: Parameters<typeof add>) => (failNext ? ((failNext = false), Promise.reject(new Error('connection lost'))) : add(...args))) as typeof add;
      runs = new RunsService(world.deps({ queues: world.queues(queue) }));
      await assert.rejects(runs.submit(REQ, 'p1', 'key-1'), QueueUnavailable);
      assert.equal(world.claims.size, 0, 'the key was released');
      const retried = await runs.submit(REQ, 'p1', 'key-1');
      assert.equal(retried.replayed, false);
      assert.equal(world.added.length, 1);
    });

    it('says so when no replica confirmed the write, and keeps the run for a retry with the key', async () => {
      runs = new RunsService(world.deps({ confirmWrites: () => Promise.reject(new NotReplicatedError(0, 1, 500)) }));
      await assert.rejects(runs.submit(REQ, 'p1', 'key-1'), (err) => err instanceof QueueUnavailable && /same Idempotency-Key/.test(err.message));
      assert.equal(world.added.length, 1, 'the run stays queued');
      assert.equal(world.claims.size, 1, 'its key stays claimed');
    });
  });

  describe('get', () => {
    it('shows a waiting job as queued and an active one as running, with its phase and attempt errors', async () => {
      const { run } = await runs.submit(REQ, 'p1');
      world.jobs.get(run.id)!.state = 'active';
      world.jobs.get(run.id)!.attemptsStarted = 2;
      world.jobs.get(run.id)!.progress = { phase: 'running', startedAt: '2026-01-01T00:00:01.000Z' };
      world.attemptErrors.set(run.id, [{ attempt: 1, at: '2026-01-01T00:00:00.500Z', message: 'docker: ECONNREFUSED' }]);
      const live = await runs.get(run.id);
      assert.equal(live?.status, 'running');
      assert.equal(live?.phase, 'running');
      assert.equal(live?.attempts, 2);
      assert.equal(live?.maxAttempts, 3, 'the retry policy the job was added with');
      assert.equal(live?.attemptErrors?.[0]?.message, 'docker: ECONNREFUSED');
      assert.equal(world.index.getRun(run.id)?.status, 'queued', 'a read leaves the index to the index feed');
    });

    it("has the index feed apply a finished run's end before it reports it, and writes nothing itself", async () => {
      const { run } = await runs.submit(REQ, 'p1');
      const applied: Array<[string, string | undefined]> = [];
      // What the feed would see when get asks it: the index as the feed left it.
      runs = new RunsService(world.deps({ applyEnd: (id) => Promise.resolve(void applied.push([id, world.index.getRun(id)?.status])) }));
      const record = { ...finishedRecord(), id: run.id, name: run.name };
      world.records.set(record.id, record);
      world.setJob(world.jobs.get(run.id)!.data, 'completed');
      const view = await runs.get(run.id);
      assert.equal(view?.status, 'succeeded');
      assert.deepEqual(applied, [[run.id, 'queued']], 'the feed was asked once, before the answer');
      assert.equal(world.index.getRun(run.id)?.status, 'queued', 'get itself wrote nothing');
      assert.equal(await runs.get(runIdAt(Date.UTC(2025, 0, 1))), undefined);
      assert.equal(applied.length, 1, 'an unknown run asks the feed nothing');
    });

    it('answers a finished run from its record, without Redis', async () => {
      const record = finishedRecord();
      world.records.set(record.id, record);
      world.index.upsert({ id: record.id, name: record.name, image: record.image, status: 'succeeded', createdAt: record.createdAt, score: 0.9 });
      world.down = true;
      const view = await runs.get(record.id);
      assert.equal(view?.score, 0.9);
      assert.equal((view as Record<string, unknown>).version, undefined, 'storage fields are not shown');
    });

    it('answers a job that failed without a record as failed, infrastructure', async () => {
      const { run } = await runs.submit(REQ, 'p1');
      world.setJob(world.jobs.get(run.id)!.data, 'failed', { failedReason: 'job stalled more than allowable limit', finishedOn: Date.UTC(2026, 0, 1) });
      const view = await runs.get(run.id);
      assert.equal(view?.status, 'failed');
      assert.equal(view?.reason, 'infrastructure');
      assert.equal(view?.error, 'job stalled more than allowable limit');
    });

    it('answers undefined for a run it does not know', async () => {
      assert.equal(await runs.get(runIdAt(Date.UTC(2025, 0, 1))), undefined);
    });
  });

  describe('cancel', () => {
    it('cancels a queued run: shown cancelled at once, and the request kept for the worker', async () => {
      const { run } = await runs.submit(REQ, 'p1');
      const cancelled = await runs.cancel(run.id);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.reason, 'cancelled');
      assert.ok(world.cancels.has(run.id));
      assert.equal((await runs.get(run.id))?.status, 'cancelled');
      assert.equal(world.index.getRun(run.id)?.status, 'cancelled');
    });

    it('refuses a finished run with RunAlreadyEnded, and an unknown one with RunNotFound', async () => {
      const record = finishedRecord();
      world.records.set(record.id, record);
      world.index.upsert({ id: record.id, name: record.name, image: record.image, status: 'succeeded', createdAt: record.createdAt });
      await assert.rejects(runs.cancel(record.id), (err) => err instanceof RunAlreadyEnded && err.status === 'succeeded');
      await assert.rejects(runs.cancel(runIdAt(0)), RunNotFound);
      assert.equal(world.cancels.size, 0);
    });
  });
});

function finishedRecord(): RunRecord {
  return {
    version: 1,
    id: runIdAt(Date.UTC(2026, 0, 1)),
    name: 'digits',
    image: 'team/model:1',
    status: 'succeeded',
    score: 0.9,
    limits: { timeoutSeconds: 600, memoryMb: 1024, cpus: 1, gpus: 0 },
    createdAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:03.000Z',
    attempts: 1,
  };
}
