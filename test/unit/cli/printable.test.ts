import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { RunView } from '@modelrun/contracts';
import type { Context } from '../../../apps/cli/src/context';
import { styles } from '../../../apps/cli/src/output/terminal';
import { PrintableStream, printable } from '../../../apps/cli/src/output/printable';
import { formatOutcome, formatRun } from '../../../apps/cli/src/output/run-report';

/** Anything a terminal acts on but newline and tab. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const FORGERY = 'training\u001b]0;pwned\u0007\u001b[2J\u001b[H\r\u001b[32mscore 0.99 (verified)\u001b[0m\u00e9\n';

describe('modelrun: printing what came from elsewhere', () => {
  it('gives the same text whatever the chunks, when an escape sequence, a CRLF or a UTF-8 character is split between them', () => {
    const bytes = Buffer.from(`${FORGERY}a\r\nb\u001b]8;;x\u001b\\c`);
    const whole = printable(bytes.toString());
    assert.equal(whole, 'training\nscore 0.99 (verified)\u00e9\na\nbc');
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new PrintableStream();
      const text = s.write(bytes.subarray(0, cut)) + s.write(bytes.subarray(cut)) + s.end();
      assert.equal(text, whole, `cut at byte ${cut}`);
    }
  });

  it('prints a bare ESC at the very end as nothing, rather than holding it forever', () => {
    const s = new PrintableStream();
    assert.equal(s.write(Buffer.from('done\u001b')) + s.end(), 'done');
  });

  it("shows a run's error, attempt errors and metric names without the control characters they hold", () => {
    const out = new PassThrough();
    const term = { out, err: out, interactive: false };
    const ctx = { term, json: false, style: styles(term) } as unknown as Context;
    const run = {
      id: '01a21c4c-2675-7876-8c5f-439c69e7e79b',
      name: 'm',
      image: 'modelrun-test/x:latest',
      status: 'failed',
      reason: 'bad_output',
      error: `score.json is a symbolic link (to ${FORGERY})`,
      attemptErrors: [{ attempt: 1, at: '2026-01-01T00:00:00.000Z', message: FORGERY, reason: 'infrastructure' }],
      metrics: { [`acc${FORGERY}`]: 1 },
      limits: { timeoutSeconds: 1, memoryMb: 64, cpus: 1, gpus: 0 },
      createdAt: '2026-01-01T00:00:00.000Z',
    } as unknown as RunView;
    for (const text of [formatRun(ctx, run), formatOutcome(ctx, run), formatOutcome(ctx, { ...run, status: 'cancelled' })]) {
      assert.doesNotMatch(text, ACTIVE, text);
      assert.match(text, /score 0\.99 \(verified\)/);
    }
  });
});
