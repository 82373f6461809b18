import assert from 'node:assert/strict';
import { runIdAt, type RunStatus } from '@modelrun/contracts';
import { type ListOptions, type ModelSort, RunIndex, type RunSummary } from '@modelrun/leaderboard';

const T0 = Date.UTC(2025, 0, 1);

/** Run ids are UUIDv7: made at T0 + t seconds, they sort in t order. */
const ids = new Map<number, string>();
function idAt(t: number): string {
  let id = ids.get(t);
  if (!id) {
    id = runIdAt(T0 + t * 1000);
    ids.set(t, id);
  }
  return id;
}

function run(name: string, t: number, status: RunStatus, score?: number): RunSummary {
  const createdAt = new Date(T0 + t * 1000).toISOString();
  return {
    id: idAt(t),
    name,
    image: `registry.example/team/${name}:1`,
    status,
    createdAt,
    ...(score !== undefined && { score }),
    ...((status === 'succeeded' || status === 'failed' || status === 'cancelled') && { finishedAt: createdAt }),
  };
}

function list(index: RunIndex, sort: ModelSort, order: 'asc' | 'desc', offset = 0, limit = 100): string[] {
  return index.listModels({ sort, order, offset, limit }).models.map((m) => m.name);
}

/**
 * Five models, chosen so that every sort gives a different, tie-free order:
 *   name    a b c d e
 *   score   b(0.9) c(0.7) a(0.5), then d and e without a succeeded score
 *   latest  e(16) c(11) a(10) d(8) b(3)
 *   runs    e(5) d(4) b(3) c(2) a(1)
 */
function leaderboard(): RunIndex {
  const index = new RunIndex();
  const runs = [
    run('a', 10, 'succeeded', 0.5),
    run('b', 1, 'succeeded', 0.9),
    run('b', 2, 'failed'),
    run('b', 3, 'succeeded', 0.3),
    run('c', 4, 'succeeded', 0.7),
    run('c', 11, 'succeeded', 0.1),
    run('d', 5, 'failed', 0.99), // a score on a failed run is not a best score
    run('d', 6, 'failed'),
    run('d', 7, 'cancelled'),
    run('d', 8, 'failed'),
    run('e', 12, 'failed'),
    run('e', 13, 'failed'),
    run('e', 14, 'failed'),
    run('e', 15, 'failed'),
    run('e', 16, 'running', 1.5),
  ];
  // Inserted out of time order, as a volume scan and queue events deliver them.
  for (const r of [...runs].reverse()) index.upsert(r);
  return index;
}

describe('RunIndex', () => {
  describe('upsert', () => {
    it('adds a run and its model', () => {
      const index = new RunIndex();
      assert.equal(index.upsert(run('m', 1, 'queued')), true);
      assert.equal(index.runCount, 1);
      assert.equal(index.modelCount, 1);
      assert.equal(index.getRun(idAt(1))?.status, 'queued');
    });

    it('replaces a live run with its final record, keeping one run', () => {
      const index = new RunIndex();
      index.upsert(run('m', 1, 'queued'));
      index.upsert(run('m', 1, 'running'));
      assert.equal(index.upsert(run('m', 1, 'succeeded', 0.8)), true);
      assert.equal(index.runCount, 1);
      assert.equal(index.getRun(idAt(1))?.status, 'succeeded');
      const model = index.getModel('m');
      assert.equal(model?.runCount, 1);
      assert.equal(model?.latestRun.status, 'succeeded');
      assert.equal(model?.bestScore, 0.8);
    });

    it('ignores a live update arriving after the final record', () => {
      const index = new RunIndex();
      index.upsert(run('m', 1, 'succeeded', 0.8));
      assert.equal(index.upsert(run('m', 1, 'running')), false);
      assert.equal(index.getRun(idAt(1))?.status, 'succeeded');
      assert.equal(index.getModel('m')?.latestRun.status, 'succeeded');
      assert.equal(index.getModel('m')?.bestScore, 0.8);
    });

    it('lets one final record replace another', () => {
      const index = new RunIndex();
      index.upsert(run('m', 1, 'cancelled'));
      assert.equal(index.upsert(run('m', 1, 'failed')), true);
      assert.equal(index.getRun(idAt(1))?.status, 'failed');
    });
  });

  describe('per model', () => {
    it('takes the latest run by run id, whatever order runs arrive in', () => {
      const index = new RunIndex();
      index.upsert(run('m', 5, 'failed'));
      index.upsert(run('m', 3, 'succeeded', 0.4));
      index.upsert(run('m', 4, 'succeeded', 0.2));
      assert.equal(index.getModel('m')?.latestRun.id, idAt(5));
    });

    it('takes the highest succeeded score as the best, ignoring failed and live runs', () => {
      const index = leaderboard();
      const b = index.getModel('b');
      assert.equal(b?.bestScore, 0.9);
      assert.equal(b?.bestRun?.id, idAt(1));
      assert.equal(index.getModel('d')?.bestScore, undefined);
      assert.equal(index.getModel('d')?.bestRun, undefined);
      assert.equal(index.getModel('e')?.bestScore, undefined);
    });

    it('moves the best score to a later, higher one', () => {
      const index = new RunIndex();
      index.upsert(run('m', 1, 'succeeded', 0.4));
      index.upsert(run('m', 2, 'succeeded', 0.6));
      index.upsert(run('m', 3, 'succeeded', 0.5));
      assert.equal(index.getModel('m')?.bestScore, 0.6);
      assert.equal(index.getModel('m')?.bestRun?.id, idAt(2));
    });

    it('counts negative scores as scores', () => {
      const index = new RunIndex();
      index.upsert(run('m', 1, 'succeeded', -2));
      index.upsert(run('m', 2, 'succeeded', -1));
      assert.equal(index.getModel('m')?.bestScore, -1);
    });

    it('returns a model with its runs newest first', () => {
      const index = leaderboard();
      const d = index.getModel('d');
      assert.deepEqual(
        d?.runs.map((r) => r.id),
        [idAt(8), idAt(7), idAt(6), idAt(5)],
      );
      assert.equal(d?.runCount, 4);
      assert.equal(d?.latestRun.id, idAt(8));
    });

    it('returns undefined for an unknown model', () => {
      assert.equal(leaderboard().getModel('nope'), undefined);
    });
  });

  describe('addModel (loading a snapshot) and remove', () => {
    const views = (index: RunIndex): unknown => ({
      lists: (['score', 'name', 'latest', 'runs'] as const).map((sort) => [list(index, sort, 'desc'), list(index, sort, 'asc')]),
      models: ['a', 'b'].map((n) => index.getModel(n)),
    });

    it('gives the same index as upserting the runs one at a time, also when it must fall back to that', () => {
      const runs = { a: [run('a', 1, 'succeeded', 0.3), run('a', 2, 'failed'), run('a', 3, 'succeeded', 0.9)], b: [run('b', 4, 'succeeded', 0.5)] };
      const upserted = new RunIndex();
      for (const r of [...runs.a, ...runs.b]) upserted.upsert({ ...r });
      const added = new RunIndex();
      added.addModel(
        'a',
        runs.a.map((r) => ({ ...r })),
      );
      added.addModel(
        'b',
        runs.b.map((r) => ({ ...r })),
      );
      assert.deepEqual(views(added), views(upserted));
      // Out of order, and a model the index holds already: one at a time, same result.
      const fallback = new RunIndex();
      fallback.addModel(
        'a',
        [runs.a[2]!, runs.a[0]!].map((r) => ({ ...r })),
      );
      fallback.addModel('a', [{ ...runs.a[1]! }]);
      fallback.addModel(
        'b',
        runs.b.map((r) => ({ ...r })),
      );
      assert.deepEqual(views(fallback), views(upserted));
    });

    it("removes a finished run: its model's best and the orders follow, and an emptied model goes", () => {
      const index = new RunIndex();
      index.addModel('a', [run('a', 1, 'succeeded', 0.3), run('a', 3, 'succeeded', 0.9)]);
      index.addModel('b', [run('b', 2, 'succeeded', 0.5)]);
      assert.deepEqual(list(index, 'score', 'desc'), ['a', 'b']);
      index.remove(idAt(3));
      assert.equal(index.getModel('a')?.bestScore, 0.3);
      assert.deepEqual(list(index, 'score', 'desc'), ['b', 'a']);
      index.remove(idAt(2));
      assert.equal(index.getModel('b'), undefined);
      assert.deepEqual(list(index, 'name', 'asc'), ['a']);
    });
  });

  describe('removeLive', () => {
    it('drops a live run, and its model when it was the only run', () => {
      const index = new RunIndex();
      index.upsert(run('m', 1, 'queued'));
      index.removeLive(idAt(1));
      assert.equal(index.getRun(idAt(1)), undefined);
      assert.equal(index.getModel('m'), undefined);
      assert.equal(index.runCount, 0);
      assert.equal(index.modelCount, 0);
    });

    it('keeps the model and its other runs, and updates the latest run', () => {
      const index = new RunIndex();
      index.upsert(run('m', 1, 'succeeded', 0.5));
      index.upsert(run('m', 2, 'queued'));
      index.removeLive(idAt(2));
      const model = index.getModel('m');
      assert.equal(model?.runCount, 1);
      assert.equal(model?.latestRun.id, idAt(1));
    });

    it('leaves a finished run alone', () => {
      const index = new RunIndex();
      index.upsert(run('m', 1, 'failed'));
      index.removeLive(idAt(1));
      assert.equal(index.getRun(idAt(1))?.status, 'failed');
      assert.equal(index.getModel('m')?.runCount, 1);
    });

    it('ignores an unknown id', () => {
      const index = leaderboard();
      index.removeLive(runIdAt(T0));
      assert.equal(index.runCount, 15);
    });
  });

  describe('listModels', () => {
    const orders: [ModelSort, string[]][] = [
      ['name', ['a', 'b', 'c', 'd', 'e']],
      ['latest', ['e', 'c', 'a', 'd', 'b']],
      ['runs', ['e', 'd', 'b', 'c', 'a']],
    ];
    for (const [sort, natural] of orders) {
      const [asc, desc] = sort === 'name' ? [natural, [...natural].reverse()] : [[...natural].reverse(), natural];
      it(`sorts by ${sort} in both orders`, () => {
        const index = leaderboard();
        assert.deepEqual(list(index, sort, 'asc'), asc);
        assert.deepEqual(list(index, sort, 'desc'), desc);
      });
    }

    it('sorts by best score, highest first for desc, lowest first for asc', () => {
      const index = leaderboard();
      assert.deepEqual(list(index, 'score', 'desc'), ['b', 'c', 'a', 'd', 'e']);
      assert.deepEqual(list(index, 'score', 'asc'), ['a', 'c', 'b', 'd', 'e']);
    });

    it('keeps models without a score last in both orders, by name', () => {
      const index = new RunIndex();
      index.upsert(run('zz-unscored', 1, 'failed'));
      index.upsert(run('aa-unscored', 2, 'queued'));
      index.upsert(run('mid', 3, 'succeeded', 0.5));
      index.upsert(run('top', 4, 'succeeded', 0.9));
      assert.deepEqual(list(index, 'score', 'desc'), ['top', 'mid', 'aa-unscored', 'zz-unscored']);
      assert.deepEqual(list(index, 'score', 'asc'), ['mid', 'top', 'aa-unscored', 'zz-unscored']);
    });

    it('pages with offset and limit and reports the total', () => {
      const index = leaderboard();
      const page = (sort: ModelSort, order: 'asc' | 'desc', offset: number, limit: number) => {
        const opts: ListOptions = { sort, order, offset, limit };
        const result = index.listModels(opts);
        assert.equal(result.total, 5);
        return result.models.map((m) => m.name);
      };
      assert.deepEqual(page('score', 'desc', 1, 2), ['c', 'a']);
      assert.deepEqual(page('score', 'asc', 1, 2), ['c', 'b']);
      assert.deepEqual(page('score', 'asc', 2, 2), ['b', 'd']);
      assert.deepEqual(page('score', 'asc', 3, 10), ['d', 'e']);
      assert.deepEqual(page('name', 'desc', 0, 2), ['e', 'd']);
      assert.deepEqual(page('latest', 'asc', 1, 3), ['d', 'a', 'c']);
      assert.deepEqual(page('runs', 'asc', 4, 1), ['e']);
      assert.deepEqual(page('runs', 'desc', 5, 10), []);
      assert.deepEqual(page('name', 'asc', 0, 0), []);
    });

    it('gives each model its run count, latest run and best score', () => {
      const [b] = leaderboard().listModels({ sort: 'score', order: 'desc', offset: 0, limit: 1 }).models;
      assert.equal(b?.name, 'b');
      assert.equal(b?.runCount, 3);
      assert.equal(b?.latestRun.id, idAt(3));
      assert.equal(b?.bestScore, 0.9);
      assert.equal(b?.bestRun?.id, idAt(1));
    });

    it('reorders by score when a model gets a new best', () => {
      const index = leaderboard();
      assert.deepEqual(list(index, 'score', 'desc'), ['b', 'c', 'a', 'd', 'e']);
      index.upsert(run('a', 20, 'succeeded', 0.95));
      assert.deepEqual(list(index, 'score', 'desc'), ['a', 'b', 'c', 'd', 'e']);
    });

    it('reorders by latest and runs when a model gets a new run', () => {
      const index = leaderboard();
      assert.deepEqual(list(index, 'latest', 'desc'), ['e', 'c', 'a', 'd', 'b']);
      assert.deepEqual(list(index, 'runs', 'desc'), ['e', 'd', 'b', 'c', 'a']);
      index.upsert(run('b', 21, 'queued'));
      index.upsert(run('b', 22, 'queued'));
      index.upsert(run('b', 23, 'queued'));
      assert.deepEqual(list(index, 'latest', 'desc'), ['b', 'e', 'c', 'a', 'd']);
      assert.deepEqual(list(index, 'runs', 'desc'), ['b', 'e', 'd', 'c', 'a']);
    });

    for (const sort of ['score', 'name', 'latest', 'runs'] as const) {
      const all = { sort, order: 'desc', offset: 0, limit: 100 } as const;

      it(`shows a model added after an earlier listing by ${sort}`, () => {
        const index = leaderboard();
        assert.equal(index.listModels(all).total, 5);
        index.upsert(run('f-new', 30, 'queued'));
        const after = index.listModels(all);
        assert.equal(after.total, 6);
        assert.ok(
          after.models.some((m) => m.name === 'f-new'),
          `f-new missing from the ${sort} listing`,
        );
      });

      it(`drops a removed model from a listing by ${sort} made while it was there`, () => {
        const index = leaderboard();
        index.upsert(run('f-new', 30, 'queued'));
        index.listModels(all);
        index.removeLive(idAt(30));
        const after = index.listModels(all);
        assert.equal(after.total, 5);
        assert.ok(!after.models.some((m) => m.name === 'f-new'), `f-new still in the ${sort} listing`);
        assert.ok(after.models.every((m) => m.latestRun !== undefined));
      });
    }
  });
});
