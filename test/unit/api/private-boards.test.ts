import assert from 'node:assert/strict';
import type { BenchmarkDefinition, Role } from '@modelrun/contracts';
import { RunIndex } from '@modelrun/leaderboard';
import type { Principal } from '../../../apps/api/src/authz/policy';
import { PrivateBoards } from '../../../apps/api/src/services/private-boards';
import { DIGITS } from '../../fixtures/benchmark-definition';

const who = (role: Role): Principal => ({ user: `${role}-1`, role, scopes: ['read', 'submit', 'admin'] });
const REVEAL_AT = '2027-03-01T00:00:00Z';
const TIMED: BenchmarkDefinition = { ...DIGITS, privateBoard: { revealAt: REVEAL_AT } };

describe('who may see a private board (issue 19)', () => {
  const at = (iso: string) => new PrivateBoards(new Map([[TIMED.name, TIMED]]), new RunIndex([TIMED]), undefined, () => Date.parse(iso));

  it('before revealAt: operators and admins only; it says when it opens', async () => {
    const boards = at('2027-02-28T23:59:59Z');
    assert.deepEqual(await boards.visibility(TIMED), { revealed: false, revealAt: REVEAL_AT });
    assert.equal(await boards.mayRead(who('member'), 'digits'), false);
    assert.equal(await boards.mayRead(who('viewer'), 'digits'), false);
    assert.equal(await boards.mayRead(who('operator'), 'digits'), true);
    assert.equal(await boards.mayRead(who('admin'), 'digits'), true);
  });

  it('from revealAt on: everyone, revealed at that time', async () => {
    const boards = at(REVEAL_AT);
    assert.deepEqual(await boards.visibility(TIMED), { revealed: true, revealAt: REVEAL_AT, revealedAt: '2027-03-01T00:00:00.000Z' });
    assert.equal(await boards.mayRead(who('viewer'), 'digits'), true);
  });

  it("a benchmark without privateBoard is never revealed by time, and an unknown one is nobody's", async () => {
    const boards = new PrivateBoards(new Map([[DIGITS.name, DIGITS]]), new RunIndex([DIGITS]));
    assert.deepEqual(await boards.visibility(DIGITS), { revealed: false });
    assert.equal(await boards.mayRead(who('member'), 'digits'), false);
    assert.equal(await boards.mayRead(who('admin'), 'nothing'), false);
  });

  it('a token without the read scope does not see it before the reveal, whatever its role', async () => {
    const boards = at('2027-01-01T00:00:00Z');
    assert.equal(await boards.mayRead({ ...who('admin'), scopes: ['submit'] }, 'digits'), false);
  });
});
