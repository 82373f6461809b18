import assert from 'node:assert/strict';
import type { ExitInfo, OutputContents } from '@modelrun/runner';
import { judgeEvaluation, noteText } from '../../../apps/worker/src/run/evaluation-outcome';
import { DIGITS } from '../../fixtures/benchmark-definition';

const BENCH = DIGITS;
const LIMITS = { timeoutSeconds: 60, memoryMb: 256, cpus: 1, gpus: 0 };
const exited = (exitCode: number, more: Partial<ExitInfo> = {}): ExitInfo => ({ exitCode, oomKilled: false, timedOut: false, cancelled: false, user: '', ...more });
/** The outcome as a failure (asserting it is one), to read its reason and error. */
function failed(out: ReturnType<typeof judgeEvaluation>): { reason: string; error: string; evaluatorError?: string } {
  assert.notEqual(out.status, 'succeeded', JSON.stringify(out));
  return out as unknown as { reason: string; error: string; evaluatorError?: string };
}
const scored = (json: object): OutputContents => ({ entries: 1, sample: ['score.json'], totalBytes: 10, score: { file: 'score.json', bytes: Buffer.from(JSON.stringify(json)) } });

describe("judging a benchmark run by its evaluator's end", () => {
  it('takes the primary metric as the score, whatever score the evaluator wrote', () => {
    const out = judgeEvaluation(BENCH, exited(0), scored({ score: 0.1, metrics: { accuracy: 0.98, error_rate: 0.02 } }), LIMITS, 0);
    assert.deepEqual(out, { status: 'succeeded', score: 0.98, metrics: { accuracy: 0.98, error_rate: 0.02 }, exitCode: 0 });
  });

  it("treats exit code 3 as the evaluator rejecting the predictions: the model's bad_output", () => {
    const out = failed(judgeEvaluation(BENCH, exited(3), undefined, LIMITS, 0));
    assert.equal(out.reason, 'bad_output');
    assert.equal(out.evaluatorError, undefined);
  });

  it('fails with evaluator_failed on a crash, a timeout or a missing metric, keeping the detail for the operator', () => {
    const crash = failed(judgeEvaluation(BENCH, exited(1), undefined, LIMITS, 0));
    assert.equal(crash.reason, 'evaluator_failed');
    assert.match(crash.evaluatorError!, /the evaluator exited with code 1/);
    assert.doesNotMatch(crash.error!, /code 1/, 'the submitter gets the kind of failure, not its detail');
    const slow = failed(judgeEvaluation(BENCH, exited(137, { timedOut: true }), undefined, LIMITS, 0));
    assert.match(slow.error!, /\(timeout\)/);
    const partial = failed(judgeEvaluation(BENCH, exited(0), scored({ score: 0.9, metrics: { accuracy: 0.9 } }), LIMITS, 0));
    assert.equal(partial.reason, 'evaluator_failed');
    assert.match(partial.evaluatorError!, /lacks the metric error_rate/);
  });

  it("shows a rejecting evaluator's message.txt to the submitter, as one line of text", () => {
    const output: OutputContents = { entries: 1, sample: ['message.txt'], totalBytes: 30, note: Buffer.from('line 3: not a digit\n\u001b[31mred\u001b[0m') };
    assert.equal(failed(judgeEvaluation(BENCH, exited(3), output, LIMITS, 0)).error, 'benchmark digits: the evaluator rejected the predictions: line 3: not a digit [31mred [0m');
    assert.equal(noteText(Buffer.from([0xff, 0xfe])), undefined, 'not UTF-8: left out');
    assert.equal(noteText(Buffer.from('  \n ')), undefined);
  });

  it('records a cancel during evaluation as cancelled', () => {
    assert.equal(judgeEvaluation(BENCH, exited(143, { cancelled: true }), undefined, LIMITS, 0).status, 'cancelled');
  });
});
