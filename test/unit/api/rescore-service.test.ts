import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { BenchmarkDefinition, RescoreJobData, RescoreProgress, RunRecord } from '@modelrun/contracts';
import { RunIndex, summarize } from '@modelrun/leaderboard';
import type { RescoreProgressStore, RescoreStart } from '@modelrun/run-control';
import { ResultsStore } from '@modelrun/store';
import { RescoreService } from '../../../apps/api/src/services/rescores';
import { DIGITS } from '../../fixtures/benchmark-definition';
import { succeededRecord } from '../../fixtures/records';

const PHASED: BenchmarkDefinition = {
  ...DIGITS,
  phases: [
    { name: 'dev', start: '2026-01-01T00:00:00Z', end: '2026-02-01T00:00:00Z' },
    { name: 'final', start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' },
  ],
} as BenchmarkDefinition;

/** Which runs a re-score takes, and the jobs it queues; Redis and BullMQ stand in as the small fakes below. */
describe('which runs a re-score takes (issue 19)', () => {
  let dir: string;
  let service: RescoreService;
  let jobs: { name: string; data: RescoreJobData; opts: { jobId: string; priority: number } }[];
  let started: RescoreStart[];
  const records: RunRecord[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-rescore-'));
    const results = new ResultsStore(dir);
    const index = new RunIndex([PHASED]);
    records.length = 0;
    const add = async (name: string, at: number, fields: Partial<RunRecord>, kept: boolean) => {
      const r = succeededRecord(name, at, { score: 0.5, ...fields });
      if (kept) await results.writePredictions(name, r.id, Buffer.from('tar'));
      index.upsert(summarize(r));
      records.push(r);
    };
    // Submitted inside their phases, as the API admits them (the index files a run under the phase of its submission time).
    const dev = Date.parse('2026-01-15T00:00:00Z');
    const final = Date.parse('2026-02-15T00:00:00Z');
    await add('a', dev + 1, { benchmark: 'digits', benchmarkPhase: 'dev' }, true);
    await add('a', final + 2, { benchmark: 'digits', benchmarkPhase: 'final' }, true);
    await add('b', final + 3, { benchmark: 'digits', benchmarkPhase: 'final' }, false);
    await add('b', final + 4, { benchmark: 'digits', benchmarkPhase: 'final', status: 'failed', score: undefined, reason: 'evaluator_failed' }, true);
    await add('c', final + 5, {}, true);
    jobs = [];
    started = [];
    const queue = { addBulk: async (added: typeof jobs) => jobs.push(...added) } as unknown as Queue<RescoreJobData>;
    const progress = {
      start: async (s: RescoreStart) => started.push(s),
      get: async (id: string): Promise<RescoreProgress> => ({ id, benchmark: started.at(-1)!.benchmark, total: started.at(-1)!.total, done: 0, changed: 0, unchanged: 0, skipped: 0, failed: 0 }),
    } as unknown as RescoreProgressStore;
    service = new RescoreService({ queue, progress, results, index, benchmarks: new Map([[PHASED.name, PHASED]]) });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a benchmark's scored runs only: one job each, with the deterministic id, below submissions' priority; a run without kept predictions is counted skipped, not queued", async () => {
    const p = await service.rescoreBenchmark('digits', undefined, 'olga');
    assert.equal(p.total, 3);
    assert.deepEqual(started[0]!.skipped, [records[2]!.id]);
    assert.deepEqual(jobs.map((j) => j.data.runId).sort(), [records[0]!.id, records[1]!.id].sort());
    for (const j of jobs) {
      assert.equal(j.opts.jobId, `rescore:${p.id}:${j.data.runId}`);
      assert.equal(j.opts.priority, 7, 'the default level 5, two below');
    }
  });

  it("a phase's scored runs only; an unknown phase or benchmark is refused", async () => {
    const p = await service.rescoreBenchmark('digits', 'final', 'olga');
    assert.equal(p.total, 2);
    assert.deepEqual(
      jobs.map((j) => j.data.runId),
      [records[1]!.id],
    );
    await assert.rejects(service.rescoreBenchmark('digits', 'nope', 'olga'), /no phase "nope"/);
    await assert.rejects(service.rescoreBenchmark('nope', undefined, 'olga'), /no benchmark named "nope"/);
  });

  it('one run: only a scored benchmark run', async () => {
    const view = { ...records[0]!, status: 'succeeded' as const };
    const p = await service.rescoreRun(view, 'olga');
    assert.equal(p.total, 1);
    assert.equal(jobs.length, 1);
    await assert.rejects(service.rescoreRun({ ...records[4]! }, 'olga'), /not a scored benchmark run/);
    await assert.rejects(service.rescoreRun({ ...records[3]! }, 'olga'), /not a scored benchmark run/);
  });
});
