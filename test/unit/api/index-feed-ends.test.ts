import assert from 'node:assert/strict';
import type { RunRecord, RunView } from '@modelrun/contracts';
import { VolumeLayout } from '@modelrun/store';
import { IndexFeed } from '../../../apps/api/src/services/index-feed';
import { RunsService } from '../../../apps/api/src/services/runs-service';
import { testLogger } from '../../helpers/logger';
import { FakeRunWorld } from './fake-run-deps';

/**
 * A run's `completed` event reaches the index feed a moment after the job ends. A client that
 * saw the run finished through GET /v1/runs/{id} and then lists the models must find it there:
 * the feed applies the end before `get` reports it. Here the feed hears no events at all, so
 * only that path can bring the end into the index.
 */
describe('IndexFeed.applyEnd, through RunsService.get', () => {
  let world: FakeRunWorld;
  let runs: RunsService;
  beforeEach(() => {
    world = new FakeRunWorld();
    const store = Object.assign(world.store(), { layout: new VolumeLayout('/nonexistent') });
    const feed = new IndexFeed({ index: world.index, store, queues: world.queues(), events: [], pending: world.pending(), log: testLogger('index-feed') });
    runs = new RunsService(world.deps({ applyEnd: (id) => feed.applyEnd(id) }));
  });

  it('lists a run as finished once get has reported it finished, with no event yet', async () => {
    const { run } = await runs.submit({ image: 'team/model:1', name: 'digits' }, 'p1');
    world.records.set(run.id, recordOf(run));
    world.setJob(world.jobs.get(run.id)!.data, 'completed');
    assert.equal(world.index.getRun(run.id)?.status, 'queued', 'the feed heard nothing');
    assert.equal((await runs.get(run.id))?.status, 'succeeded');
    assert.equal(world.index.getRun(run.id)?.status, 'succeeded');
    assert.equal(world.index.getRun(run.id)?.score, 0.5);
  });

  it('lists a run whose outcome waits in Redis as recording once get has reported it', async () => {
    const { run } = await runs.submit({ image: 'team/model:1', name: 'digits' }, 'p1');
    assert.equal((await runs.get(run.id))?.status, 'queued');
    world.setJob(world.jobs.get(run.id)!.data, 'completed');
    world.pendings.set(run.id, { record: recordOf(run), since: run.createdAt });
    assert.equal((await runs.get(run.id))?.phase, 'recording');
    assert.equal(world.index.getRun(run.id)?.phase, 'recording');
  });
});

function recordOf(run: RunView): RunRecord {
  return { version: 1, id: run.id, name: run.name, image: run.image, status: 'succeeded', score: 0.5, limits: run.limits, createdAt: run.createdAt, finishedAt: run.createdAt, attempts: 1 };
}
