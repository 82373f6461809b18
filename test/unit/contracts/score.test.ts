import assert from 'node:assert/strict';
import { METRICS_MAX, SCORE_FILE_MAX_BYTES, type ScoreParse, parseScoreFile } from '@modelrun/contracts';

const json = (text: string): ScoreParse => parseScoreFile('score.json', Buffer.from(text, 'utf8'));
const plain = (text: string): ScoreParse => parseScoreFile('score', Buffer.from(text, 'utf8'));

function accepted(result: ScoreParse): { score: number; metrics?: Record<string, number> } {
  if (!result.ok) assert.fail(`expected the score file to be accepted, got: ${result.message}`);
  return result.value;
}

function refused(result: ScoreParse): string {
  if (result.ok) assert.fail(`expected the score file to be refused, got ${JSON.stringify(result.value)}`);
  return result.message;
}

describe('parseScoreFile', () => {
  describe('score.json', () => {
    it('reads a score with its metrics', () => {
      const value = accepted(json('{"score": 0.97, "metrics": {"accuracy": 0.97, "loss": 0.08, "val/f1:macro": 0.9}}'));
      assert.deepEqual(value, { score: 0.97, metrics: { accuracy: 0.97, loss: 0.08, 'val/f1:macro': 0.9 } });
    });

    it('reads a score without metrics', () => {
      assert.deepEqual(accepted(json('{"score": -3.5e2}\n')), { score: -350 });
    });

    it('refuses text that is not JSON and says so', () => {
      const message = refused(json('{"score": 0.5,'));
      assert.match(message, /^score\.json is not valid JSON/);
    });

    it('refuses the NaN and Infinity tokens as invalid JSON', () => {
      assert.match(refused(json('{"score": NaN}')), /not valid JSON/);
      assert.match(refused(json('{"score": Infinity}')), /not valid JSON/);
      assert.match(refused(json('{"score": -Infinity}')), /not valid JSON/);
    });

    it('refuses a score that overflows to Infinity (1e999) and says it is not finite', () => {
      const message = refused(json('{"score": 1e999}'));
      assert.match(message, /score/);
      assert.match(message, /finite|infinit/i, `the message should say the number is not finite: ${message}`);
    });

    it('refuses a metric that overflows to Infinity and names the metric', () => {
      const message = refused(json('{"score": 1, "metrics": {"loss": -1e999}}'));
      assert.match(message, /metrics\.loss/);
      assert.match(message, /finite|infinit/i, `the message should say the number is not finite: ${message}`);
    });

    it('refuses a string where the score belongs, naming the field and quoting the string', () => {
      const message = refused(json('{"score": "0.97"}'));
      assert.match(message, /\bscore\b/);
      assert.match(message, /the string "0\.97"/);
    });

    it('refuses a string metric, naming the metric and quoting the string', () => {
      const message = refused(json('{"score": 1, "metrics": {"accuracy": "high"}}'));
      assert.match(message, /metrics\.accuracy/);
      assert.match(message, /the string "high"/);
    });

    it('refuses a missing score', () => {
      const message = refused(json('{"metrics": {"accuracy": 0.9}}'));
      assert.match(message, /score: expected number/);
    });

    it('refuses a score that is an object', () => {
      const message = refused(json('{"score": {"value": 0.9}}'));
      assert.match(message, /score: expected number, got an object/);
    });

    it('refuses a metric value that is an object, naming the metric', () => {
      const message = refused(json('{"score": 0.9, "metrics": {"accuracy": {"top1": 0.9}}}'));
      assert.match(message, /metrics\.accuracy: expected number, got an object/);
    });

    it('refuses an unknown top-level field and names it', () => {
      const message = refused(json('{"score": 0.9, "model": "logreg"}'));
      assert.match(message, /"model"/);
      assert.match(message, /unrecognized/i);
    });

    it('refuses a document that is an array', () => {
      assert.match(refused(json('[0.9]')), /expected object, got an array/);
    });

    it('refuses a document that is null', () => {
      assert.match(refused(json('null')), /expected object, got null/);
    });

    it('refuses a document that is a bare number', () => {
      assert.match(refused(json('0.9')), /expected object, got number/);
    });

    it('refuses a file over 64 KiB before parsing it, giving its size and the limit', () => {
      const body = `{"score": 1, "metrics": {}}${' '.repeat(SCORE_FILE_MAX_BYTES)}`;
      const message = refused(json(body));
      assert.match(message, new RegExp(`score\\.json is ${Buffer.byteLength(body)} bytes`));
      assert.match(message, new RegExp(`limit is ${SCORE_FILE_MAX_BYTES}`));
    });

    it('accepts a file of exactly 64 KiB', () => {
      const head = '{"score": 0.5}';
      const body = head + ' '.repeat(SCORE_FILE_MAX_BYTES - head.length);
      assert.equal(Buffer.byteLength(body), SCORE_FILE_MAX_BYTES);
      assert.deepEqual(accepted(json(body)), { score: 0.5 });
    });

    it('refuses bytes that are not valid UTF-8', () => {
      const bytes = Buffer.concat([Buffer.from('{"score": 0.5, "metrics": {"a'), Buffer.from([0xff, 0xfe]), Buffer.from('": 1}}')]);
      assert.equal(parseScoreFile('score.json', bytes).ok, false);
      assert.match(refused(parseScoreFile('score.json', bytes)), /not valid UTF-8/);
    });

    it(`refuses more than ${METRICS_MAX} metrics`, () => {
      const metrics = Object.fromEntries(Array.from({ length: METRICS_MAX + 1 }, (_, i) => [`m${i}`, i]));
      const message = refused(json(JSON.stringify({ score: 1, metrics })));
      assert.match(message, /metrics/);
      assert.match(message, new RegExp(`at most ${METRICS_MAX} metrics`));
    });

    it(`accepts exactly ${METRICS_MAX} metrics`, () => {
      const metrics = Object.fromEntries(Array.from({ length: METRICS_MAX }, (_, i) => [`m${i}`, i]));
      assert.equal(Object.keys(accepted(json(JSON.stringify({ score: 1, metrics }))).metrics ?? {}).length, METRICS_MAX);
    });

    it('refuses a metric name with characters outside letters, digits and _ . : / -, naming it and the rule', () => {
      const message = refused(json('{"score": 1, "metrics": {"bad name": 1}}'));
      assert.match(message, /bad name/);
      assert.match(message, /letters, digits/, `the message should say which characters a metric name may use: ${message}`);
    });

    it('refuses an empty metric name', () => {
      const message = refused(json('{"score": 1, "metrics": {"": 1}}'));
      assert.match(message, /metrics/);
    });

    it('refuses a metric name longer than 128 characters', () => {
      const message = refused(json(JSON.stringify({ score: 1, metrics: { ['m'.repeat(129)]: 1 } })));
      assert.match(message, /metrics/);
    });
  });

  describe('plain score file', () => {
    it('reads decimal numbers in their usual forms', () => {
      const cases: [string, number][] = [
        ['0.77', 0.77],
        ['42', 42],
        ['-1.5', -1.5],
        ['+2', 2],
        ['.5', 0.5],
        ['5.', 5],
        ['1e-3', 0.001],
        ['-2.5E+2', -250],
      ];
      for (const [text, score] of cases) assert.deepEqual(accepted(plain(text)), { score }, text);
    });

    it('ignores surrounding whitespace and a trailing newline', () => {
      assert.deepEqual(accepted(plain('  0.77\n')), { score: 0.77 });
      assert.deepEqual(accepted(plain('\t0.5\r\n')), { score: 0.5 });
    });

    it('refuses a hexadecimal number, which Number() would read as 16', () => {
      const message = refused(plain('0x10'));
      assert.match(message, /one decimal number/);
      assert.match(message, /0x10/);
    });

    it('refuses an empty file, which Number() would read as 0', () => {
      assert.match(refused(plain('')), /one decimal number, found \(empty\)/);
      assert.match(refused(plain(' \n')), /one decimal number, found \(empty\)/);
    });

    it('refuses NaN and Infinity', () => {
      assert.match(refused(plain('NaN')), /one decimal number, found "NaN"/);
      assert.match(refused(plain('Infinity')), /one decimal number, found "Infinity"/);
      assert.match(refused(plain('-Infinity')), /one decimal number/);
    });

    it('refuses a number that overflows to Infinity', () => {
      assert.match(refused(plain('1e999')), /"1e999" is not a finite number/);
    });

    it('refuses two numbers', () => {
      assert.match(refused(plain('0.5 0.6')), /one decimal number, found "0\.5 0\.6"/);
      assert.match(refused(plain('0.5\n0.6\n')), /one decimal number/);
    });

    it('refuses text around the number', () => {
      assert.match(refused(plain('score=0.5')), /one decimal number/);
      assert.match(refused(plain('{"score": 0.5}')), /one decimal number/);
    });

    it('shortens a long bad value in its message', () => {
      const message = refused(plain('x'.repeat(1000)));
      assert.ok(message.length < 100, message);
      assert.match(message, /\.\.\."$/);
    });

    it('quotes its text with control characters escaped, so a terminal shows them rather than acts on them', () => {
      const message = refused(plain('\u001b]0;pwned\u0007\u001b[2J0.99 (verified)\r\u009b31m'));
      assert.match(message, /found "\\x1b\]0;pwned\\x07\\x1b\[2J0\.99 \(verified\)\\x0d\\x9b31m"$/);
      assert.doesNotMatch(message, /[\u0000-\u001f\u007f-\u009f]/);
    });

    it('escapes control characters in a JSON file, a string value and a metric name', () => {
      assert.doesNotMatch(refused(json('{"score": 1, \u001b[2J}')), /[\u0000-\u001f\u007f-\u009f]/);
      for (const text of ['{"score": "\\u001b[2J"}', '{"score": 1, "metrics": {"\\u001b[2J": "x"}}']) {
        const message = refused(json(text));
        assert.doesNotMatch(message, /[\u0000-\u001f\u007f-\u009f]/, message);
        assert.match(message, /"\\x1b\[2J"/, message);
      }
    });

    it('refuses a file over 64 KiB', () => {
      const message = refused(plain(`1${' '.repeat(SCORE_FILE_MAX_BYTES)}`));
      assert.match(message, /^score is \d+ bytes; the limit is 65536$/);
    });

    it('refuses bytes that are not valid UTF-8', () => {
      assert.match(refused(parseScoreFile('score', Buffer.from([0x30, 0x2e, 0xc3]))), /score is not valid UTF-8/);
    });
  });
});
