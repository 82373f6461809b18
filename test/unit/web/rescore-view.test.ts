import assert from 'node:assert/strict';
import type { RescoreProgress } from '@modelrun/contracts';
import { mayRescoreBoard, rescoreDone, rescoreLine, runRescoreOutcome } from '../../../apps/web/src/ui/rescore-view';

const progress = (over: Partial<RescoreProgress>): RescoreProgress => ({ id: 'r', benchmark: 'rs', total: 1, done: 0, changed: 0, unchanged: 0, skipped: 0, failed: 0, ...over });

describe('the web app: re-scoring in words, and who is offered "Re-score all" (issue 19)', () => {
  it('offers it to operators and admins, and to everyone on a local API without tokens', () => {
    assert.equal(mayRescoreBoard({ authRequired: true, role: 'operator' }), true);
    assert.equal(mayRescoreBoard({ authRequired: true, role: 'admin' }), true);
    assert.equal(mayRescoreBoard({ authRequired: true, role: 'member' }), false);
    assert.equal(mayRescoreBoard({ authRequired: true, role: 'viewer' }), false);
    assert.equal(mayRescoreBoard({ authRequired: false }), true);
    assert.equal(mayRescoreBoard(undefined), false, 'not before the session is known');
  });

  it('is done when every run has an outcome, a re-score of nothing at once', () => {
    assert.equal(rescoreDone(progress({ total: 3, done: 2 })), false);
    assert.equal(rescoreDone(progress({ total: 3, done: 3 })), true);
    assert.equal(rescoreDone(progress({ total: 0, done: 0 })), true);
  });

  it('puts a bulk re-score in one line: done/total, changed, failed, then the unchanged and skipped there are', () => {
    assert.equal(rescoreLine(progress({ total: 20, done: 5, changed: 3, failed: 1, unchanged: 1 })), '5/20, changed 3, failed 1 (1 unchanged)');
    assert.equal(rescoreLine(progress({ total: 20, done: 0 })), '0/20, changed 0, failed 0');
    assert.equal(rescoreLine(progress({ total: 4, done: 4, changed: 1, unchanged: 2, skipped: 1 })), '4/4, changed 1, failed 0 (2 unchanged, 1 skipped: no kept predictions)');
  });

  it("says how one run's re-score ended", () => {
    assert.match(runRescoreOutcome(progress({})), /^Re-scoring/);
    assert.equal(runRescoreOutcome(progress({ done: 1, changed: 1 })), 'Re-scored: the score changed.');
    assert.equal(runRescoreOutcome(progress({ done: 1, unchanged: 1 })), 'Re-scored: the score is unchanged.');
    assert.match(runRescoreOutcome(progress({ done: 1, failed: 1 })), /failed: .*keeps its score/);
    assert.match(runRescoreOutcome(progress({ done: 1, skipped: 1 })), /no longer kept/);
  });
});
