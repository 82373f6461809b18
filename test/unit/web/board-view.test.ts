import assert from 'node:assert/strict';
import { boardRuleOf, privateBoardAccess, ruleWords } from '../../../apps/web/src/ui/board-view';

describe("the web app: who is offered a benchmark's private board, and the board's rule in words (issue 19)", () => {
  const hidden = { privateBoard: { revealed: false } };
  const revealed = { privateBoard: { revealed: true, revealedAt: '2026-12-01T00:00:00.000Z' } };
  const as = (role: 'admin' | 'operator' | 'member' | 'viewer') => ({ authRequired: true, role });

  it('offers the switch to operators and admins before the reveal, and to everyone after', () => {
    assert.deepEqual(privateBoardAccess(hidden, as('member')), { see: false, reveal: false });
    assert.deepEqual(privateBoardAccess(hidden, as('viewer')), { see: false, reveal: false });
    assert.deepEqual(privateBoardAccess(hidden, as('operator')), { see: true, reveal: false });
    assert.deepEqual(privateBoardAccess(hidden, as('admin')), { see: true, reveal: true });
    assert.deepEqual(privateBoardAccess(revealed, as('member')), { see: true, reveal: false });
    assert.deepEqual(privateBoardAccess(revealed, as('admin')), { see: true, reveal: false }, 'a revealed board is not revealed again');
  });

  it('treats a local API without tokens as an admin, and offers nothing where the API has no private boards', () => {
    assert.deepEqual(privateBoardAccess(hidden, { authRequired: false }), { see: true, reveal: true });
    assert.deepEqual(privateBoardAccess({}, as('admin')), { see: false, reveal: false });
    assert.deepEqual(privateBoardAccess(undefined, as('admin')), { see: false, reveal: false });
  });

  it("shows a phase's own rule on that phase's board, else the benchmark's", () => {
    const b = {
      name: 'season',
      board: { rule: 'best' as const },
      phases: [
        { name: 'dev', start: '2026-12-01T00:00:00Z', end: '2026-12-10T00:00:00Z', board: { rule: 'best' as const } },
        { name: 'final', start: '2026-12-10T00:00:00Z', end: '2026-12-20T00:00:00Z', board: { rule: 'selected' as const, selectLimit: 2 } },
      ],
    } as unknown as Parameters<typeof boardRuleOf>[0];
    assert.deepEqual(boardRuleOf(b, 'final'), { rule: 'selected', selectLimit: 2 });
    assert.deepEqual(boardRuleOf(b, 'dev'), { rule: 'best' });
    assert.deepEqual(boardRuleOf(b, undefined), { rule: 'best' }, "all phases: the benchmark's rule");
    assert.deepEqual(boardRuleOf(b, 'gone'), { rule: 'best' });
  });

  it("names each rule, the selected rule's K on the private board", () => {
    assert.equal(ruleWords(undefined, 'public'), "each model's best run");
    assert.equal(ruleWords({ rule: 'best' }, 'private'), "each model's best run");
    assert.equal(ruleWords({ rule: 'last' }, 'private'), "each model's latest scored run");
    assert.match(ruleWords({ rule: 'selected', selectLimit: 3 }, 'private'), /selected \(up to 3; if none, its 3 best public runs\)/);
    assert.match(ruleWords({ rule: 'selected', selectLimit: 3 }, 'public'), /best run \(the private board counts the runs its submitter selects\)/);
  });
});
