import assert from 'node:assert/strict';
import { DEFAULT_RUN_PRIORITY, RunPriority, rerunPriority } from '@modelrun/contracts';
import { LEVEL_SPAN, jobPriority } from '@modelrun/queue';

// BullMQ's limit: 2^21 - 1; 0 is no priority at all (such jobs go before every prioritized one).
const BULLMQ_MAX = 2 ** 21 - 1;

describe('jobPriority: a run level and its rank among its submitter’s waiting runs, as a BullMQ priority', () => {
  it('puts each submitter’s first waiting run before anyone’s second, within a level', () => {
    const sweepTenth = jobPriority(DEFAULT_RUN_PRIORITY, 10);
    const newcomerFirst = jobPriority(DEFAULT_RUN_PRIORITY, 1);
    assert.ok(newcomerFirst < sweepTenth);
    assert.ok(jobPriority(DEFAULT_RUN_PRIORITY, 2) < jobPriority(DEFAULT_RUN_PRIORITY, 3));
  });

  it('puts every run of a lower level first, whatever the ranks', () => {
    assert.ok(jobPriority(4, LEVEL_SPAN * 10) < jobPriority(5, 1));
    assert.ok(jobPriority(1, LEVEL_SPAN - 1) < jobPriority(2, 1));
  });

  it('stays within 1 .. 2^21 - 1 (never 0, never over BullMQ’s limit) for every level and rank', () => {
    for (const level of [1, 5, 9]) {
      for (const rank of [0, 1, 2, LEVEL_SPAN - 1, LEVEL_SPAN, 10 ** 9]) {
        const p = jobPriority(level, rank);
        assert.ok(Number.isInteger(p) && p >= 1 && p <= BULLMQ_MAX, `level ${level} rank ${rank}: ${p}`);
      }
    }
  });

  it('keeps a rank past the span last in its level rather than spilling into the next', () => {
    assert.ok(jobPriority(5, 10 ** 9) < jobPriority(6, 1));
  });
});

describe('run priority levels', () => {
  it('accepts 1 to 9 and nothing else', () => {
    for (const ok of [1, 5, 9]) assert.ok(RunPriority.safeParse(ok).success);
    for (const bad of [0, 10, 2.5, -1, '3']) assert.ok(!RunPriority.safeParse(bad).success, String(bad));
  });

  it('puts a re-run two levels below its submission, and never past 9', () => {
    assert.equal(rerunPriority(DEFAULT_RUN_PRIORITY), 7);
    assert.equal(rerunPriority(8), 9);
    assert.equal(rerunPriority(9), 9);
  });
});
