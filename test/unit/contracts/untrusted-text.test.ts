import assert from 'node:assert/strict';
import { escapeControls, quoteUntrusted, stripControls, untrustedName } from '@modelrun/contracts';

/** Anything a terminal acts on: C0 but newline and tab, DEL, C1, bidi controls. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const FORGERY = '\u001b]0;modelrun\u0007\u001b[2J\u001b[Hscore 0.99 (verified)\r\u009b2K\u202eevil';

describe('untrusted text in messages and terminals', () => {
  const quoted: [string, string, string][] = [
    ['plain text', 'score.json', '"score.json"'],
    ['ESC, BEL and CR', '\u001b[2J\u0007\r', '"\\x1b[2J\\x07\\x0d"'],
    ['a one-character CSI (C1)', '\u009b31m', '"\\x9b31m"'],
    ['a right-to-left override', 'a\u202eb', '"a\\u202eb"'],
    ['quotes and backslashes, so the quotes cannot be closed from inside', 'a"b\\c', '"a\\"b\\\\c"'],
    ['a newline', 'a\nb', '"a\\x0ab"'],
  ];
  for (const [what, input, expected] of quoted) {
    it(`quoteUntrusted: ${what}`, () => assert.equal(quoteUntrusted(input), expected));
  }

  it('quoteUntrusted cuts long text, by characters, inside the quotes', () => {
    assert.equal(quoteUntrusted('x'.repeat(100), 10), `"${'x'.repeat(10)}..."`);
    assert.equal(quoteUntrusted('😀'.repeat(5), 2), '"😀😀..."');
  });

  it('escapeControls leaves nothing a terminal acts on', () => {
    assert.doesNotMatch(escapeControls(FORGERY), ACTIVE);
    assert.match(escapeControls(FORGERY), /^\\x1b\]0;modelrun\\x07/);
  });

  it('untrustedName leaves a plain name as it is and quotes any other', () => {
    assert.equal(untrustedName('predictions/p-1.csv'), 'predictions/p-1.csv');
    assert.equal(untrustedName('a b'), '"a b"');
    assert.equal(untrustedName('\u001b[2J'), '"\\x1b[2J"');
  });

  const stripped: [string, string, string][] = [
    ['colours, dropped whole', '\u001b[31mred\u001b[0m', 'red'],
    ['a window title (OSC ... BEL), dropped whole', '\u001b]0;pwned\u0007text', 'text'],
    ['an OSC ended by ST', '\u001b]8;;http://x\u001b\\link', 'link'],
    ['a lone CR, which would overwrite the line, as a line break', 'step 1\rstep 2', 'step 1\nstep 2'],
    ['CRLF as one line break', 'a\r\nb', 'a\nb'],
    ['newlines and tabs, kept', 'a\tb\nc', 'a\tb\nc'],
    ['BEL, backspace and DEL, dropped', 'a\u0007b\u0008c\u007f', 'abc'],
    ['a C1 CSI, dropped whole', '\u009b2Jx', 'x'],
    ['bidi overrides, dropped', 'a\u202eb\u2066c', 'abc'],
  ];
  for (const [what, input, expected] of stripped) {
    it(`stripControls: ${what}`, () => assert.equal(stripControls(input), expected));
  }

  it('stripControls leaves nothing a terminal acts on from the forged score line', () => {
    const out = stripControls(FORGERY);
    assert.doesNotMatch(out, ACTIVE);
    assert.equal(out, 'score 0.99 (verified)\nevil');
  });
});
