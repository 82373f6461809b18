import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tokenStrengthProblem } from '@modelrun/config';

describe('API token strength (128 bits, issue 22)', () => {
  it('accepts what generators make, at their shortest', () => {
    for (let i = 0; i < 2_000; i++) {
      for (const token of [
        randomBytes(16).toString('hex'), // 32 hex digits: 128 bits
        randomBytes(16).toString('hex').toUpperCase(),
        randomBytes(16).toString('base64url').slice(0, 22), // 22 base64url characters: 132 bits
        randomBytes(24).toString('base64'), // openssl rand -base64 24, with + and /
        randomBytes(24).toString('hex'), // openssl rand -hex 24, what npm run stack writes
        `mr_${randomBytes(16).toString('base64url')}`,
      ]) {
        assert.equal(tokenStrengthProblem(token), undefined, token);
      }
    }
  });

  it('refuses tokens too short for 128 bits, counting 4 bits for a hex digit and 6 for any other character', () => {
    const table: [string, RegExp][] = [
      ['0123456789abcdef0123456789abcde', /31 characters; 128 bits take at least 32 random hex digits/],
      ['0123456789ABCDEF0123456789ABCDE', /at least 32 random hex digits/],
      // Mixed case is not hex: 6 bits a character, so 22 are enough, 21 are not.
      ['Kq3xZp9LmR4vK8sWd3nYb', /21 characters; 128 bits take at least 22 random base64url characters/],
      ['sh0rt-s3cret', /12 characters/],
      ['tok_0123456789abcdef', /20 characters/],
    ];
    for (const [token, expected] of table) assert.match(tokenStrengthProblem(token) ?? 'accepted', expected, token);
    assert.equal(tokenStrengthProblem('Kq3xZp9LmR4vK8sWd3nYbT'), undefined, '22 base64url characters');
  });

  it('refuses tokens that are long enough but do not look random', () => {
    const table: [string, string][] = [
      ['tok-aaaaaaaaaaaaaaaaaaaaaaaa', 'a repeated character behind a prefix'],
      ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'one character'],
      ['xyzxyzxyzxyzxyzxyzxyzxyzxyzxyz', 'a short pattern repeated'],
      ['tok-openapi-aaaaaaaaaaaaaaaa', 'a word padded to length'],
      ['00000000000000000000000000000001', 'hex, all but one the same'],
      ['0123456701234567012345670123456701234567', 'a counted pattern'],
    ];
    for (const [token, what] of table) assert.match(tokenStrengthProblem(token) ?? 'accepted', /does not look random/, what);
  });

  it('refuses characters outside a token alphabet', () => {
    for (const token of ['Kq3xZp9LmR4vK8sWd3nYbT ', 'Kq3xZp9LmR4vK8sWd3nYbT!', 'Kq3xZp9LmR4vK8sWd3nYbTé', 'Kq3xZp9LmR4v"K8sWd3nYbT']) {
      assert.match(tokenStrengthProblem(token) ?? 'accepted', /characters outside/, token);
    }
  });
});
