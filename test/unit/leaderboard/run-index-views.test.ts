import assert from 'node:assert/strict';
import { RUN_STATUSES, type RunStatus, runIdAt } from '@modelrun/contracts';
import { MODEL_SORTS, RunIndex, type RunSummary } from '@modelrun/leaderboard';
import { seeded } from '../../helpers/seeded-random';

const STATUSES: readonly RunStatus[] = RUN_STATUSES;

function names(index: RunIndex, sort: (typeof MODEL_SORTS)[number], order: 'asc' | 'desc'): string[] {
  return index.listModels({ sort, order, offset: 0, limit: 10_000 }).models.map((m) => m.name);
}

describe('RunIndex sorted views kept up to date one change at a time', () => {
  it('lists every sort exactly as an index built from scratch with the same runs', () => {
    const random = seeded(42);
    const live = new RunIndex();
    const runs = new Map<string, RunSummary>();
    // Listing after every few changes builds the views early, so later changes must move
    // models inside built views rather than trigger a re-sort.
    for (let step = 0; step < 3_000; step++) {
      const roll = random();
      const known = [...runs.values()];
      if (roll < 0.5 || known.length === 0) {
        const name = `m${Math.floor(random() * 40)}`;
        const status = STATUSES[Math.floor(random() * STATUSES.length)]!;
        const r: RunSummary = {
          id: runIdAt(Date.UTC(2025, 0, 1) + step * 1000),
          name,
          image: `img/${name}:1`,
          status,
          createdAt: new Date().toISOString(),
          ...(random() < 0.8 && { score: Math.round(random() * 100) / 100 }),
        };
        if (live.upsert(r)) runs.set(r.id, r);
      } else if (roll < 0.85) {
        const r = known[Math.floor(random() * known.length)]!;
        const next: RunSummary = { ...r, status: STATUSES[Math.floor(random() * STATUSES.length)]!, score: Math.round(random() * 100) / 100 };
        if (live.upsert(next)) runs.set(r.id, next);
      } else {
        const r = known[Math.floor(random() * known.length)]!;
        live.removeLive(r.id);
        if (!live.getRun(r.id)) runs.delete(r.id);
      }
      if (step % 7 === 0) for (const sort of MODEL_SORTS) names(live, sort, 'desc');
      if (step % 97 === 0 || step === 2_999) {
        const fresh = new RunIndex();
        for (const r of runs.values()) fresh.upsert(r);
        for (const sort of MODEL_SORTS) {
          for (const order of ['asc', 'desc'] as const) {
            assert.deepEqual(names(live, sort, order), names(fresh, sort, order), `step ${step}, ${sort} ${order}`);
          }
        }
        for (const m of fresh.listModels({ sort: 'name', order: 'asc', offset: 0, limit: 10_000 }).models) {
          assert.equal(live.getModel(m.name)?.bestScore, m.bestScore, `best score of ${m.name} at step ${step}`);
        }
      }
    }
  });
});

describe('RunIndex.getModel with a page', () => {
  it('returns the same runs as slicing the whole newest-first list', () => {
    const index = new RunIndex();
    for (let t = 0; t < 25; t++) index.upsert({ id: runIdAt(Date.UTC(2025, 0, 1) + t * 1000), name: 'm', image: 'img/m:1', status: 'failed', createdAt: new Date().toISOString() });
    const all = index.getModel('m')!.runs.map((r) => r.id);
    for (const [offset, limit] of [
      [0, 10],
      [5, 10],
      [20, 10],
      [25, 3],
      [40, 5],
      [0, 100],
    ] as const) {
      const page = index.getModel('m', { offset, limit })!;
      assert.deepEqual(
        page.runs.map((r) => r.id),
        all.slice(offset, offset + limit),
        `offset ${offset} limit ${limit}`,
      );
      assert.equal(page.runCount, 25);
    }
  });
});
