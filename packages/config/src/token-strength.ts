/**
 * Whether an API token could have come from a random generator with at least 128 bits.
 *
 * A token is compared in full, so guessing it takes as many tries as it has possible values;
 * 128 bits keeps that out of reach however many addresses an attacker has. What can be checked
 * without knowing how the token was made:
 *
 * 1. Its characters are a token alphabet: A-Z a-z 0-9 and - _ . ~ + / = (hex, base64,
 *    base64url, with a prefix such as `mr_` if wanted).
 * 2. Its length carries 128 bits if its characters were random: 32 characters when it is only
 *    hex digits (4 bits each), 22 otherwise (base64url, 6 bits each).
 * 3. It looks random (a cheap estimate, catching tokens typed by hand or padded to length):
 *    at least 7 different characters and at least 16 different pairs of adjacent characters.
 *    A random hex token of 32 characters fails this with a chance of about 2 in 10^10, a
 *    random base64url one of 22 characters about 2 in 10^15.
 *
 * It cannot tell a phrase someone made up from a random string of the same letters: generate
 * tokens, e.g. `openssl rand -hex 24` or `openssl rand -base64 24`.
 */
export function tokenStrengthProblem(token: string): string | undefined {
  if (!TOKEN_ALPHABET.test(token)) return 'has characters outside A-Z a-z 0-9 - _ . ~ + / =';
  const hex = HEX.test(token);
  const needed = hex ? MIN_HEX_CHARS : MIN_BASE64_CHARS;
  if (token.length < needed) {
    return `is ${token.length} characters; 128 bits take at least ${needed} random ${hex ? 'hex digits' : 'base64url characters'} (e.g. openssl rand -hex 24)`;
  }
  const chars = new Set(token).size;
  const pairs = new Set(Array.from({ length: token.length - 1 }, (_, i) => token.slice(i, i + 2))).size;
  if (chars < MIN_DISTINCT_CHARS || pairs < MIN_DISTINCT_PAIRS) {
    return `does not look random (${chars} different characters, ${pairs} different adjacent pairs; a random token has at least ${MIN_DISTINCT_CHARS} and ${MIN_DISTINCT_PAIRS}): generate one, e.g. openssl rand -hex 24`;
  }
  return undefined;
}

const TOKEN_ALPHABET = /^[A-Za-z0-9\-_.~+/=]+$/;
const HEX = /^(?:[0-9a-f]+|[0-9A-F]+)$/;
/** 128 bits at 4 bits a character. */
export const MIN_HEX_CHARS = 32;
/** 128 bits at 6 bits a character, rounded up. */
export const MIN_BASE64_CHARS = 22;
const MIN_DISTINCT_CHARS = 7;
const MIN_DISTINCT_PAIRS = 16;
