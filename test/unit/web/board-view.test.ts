import assert from 'node:assert/strict';
import { privateBoardAccess, ruleWords } from '../../../apps/web/src/ui/board-view';

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

  it("names each rule, the selected rule's K on the private board", () => {
    assert.equal(ruleWords(undefined, 'public'), "each model's best run");
    assert.equal(ruleWords({ rule: 'best' }, 'private'), "each model's best run");
    assert.equal(ruleWords({ rule: 'last' }, 'private'), "each model's latest scored run");
    assert.match(ruleWords({ rule: 'selected', selectLimit: 3 }, 'private'), /selected \(up to 3; if none, its 3 best public runs\)/);
    assert.match(ruleWords({ rule: 'selected', selectLimit: 3 }, 'public'), /best run \(the private board counts the runs its submitter selects\)/);
  });
});
