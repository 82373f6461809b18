import assert from 'node:assert/strict';
import { OwnedElsewhereError } from '@modelrun/run-control';
import { EngineLostError, EngineStoppedError, type ExitInfo, HandedBackError, InfrastructureError, ModelFault, type Outcome, OutputDroppedError } from '@modelrun/runner';
import { attemptsOf, countAttempts, decideEnd, decideFault, droppedOutput, gaveUpMessage, mayHaveKeptErrors, stallOptions } from '../../../apps/worker/src/run/faults';

describe('the retry policy (decideFault)', () => {
  const lostAt = '2026-12-01T12:00:00.000Z';
  const modelFault = new ModelFault('image_not_found', 'no such image');
  const elsewhere = new OwnedElsewhereError('r1', { host: 'a', fence: 1 }, { host: 'b', fence: 2 });
  const table: [string, unknown, number, number, ReturnType<typeof decideFault>][] = [
    ['hands a run back at shutdown whatever the attempt', new HandedBackError(), 5, 5, { kind: 'hand-back' }],
    ['drops a delivery whose run another host owns now', elsewhere, 1, 5, { kind: 'owned-elsewhere', error: elsewhere }],
    ['fails a model fault at once, even with attempts left', modelFault, 1, 5, { kind: 'model-fault', fault: modelFault }],
    ['retries an infrastructure fault while attempts remain, and says how many', new InfrastructureError('engine down'), 2, 5, { kind: 'retry', attemptsLeft: 3 }],
    ['retries a lost engine and says when it was lost', new EngineLostError('wait broke', lostAt), 1, 3, { kind: 'retry', attemptsLeft: 2, engineLostAt: lostAt }],
    ['retries a run the engine stopped, like any platform fault', new EngineStoppedError(143), 1, 3, { kind: 'retry', attemptsLeft: 2 }],
    ['gives up on the last attempt', new InfrastructureError('engine down'), 5, 5, { kind: 'give-up' }],
    ['gives up on a lost engine on the last attempt', new EngineLostError('wait broke', lostAt), 3, 3, { kind: 'give-up' }],
    ['gives up on anything unexpected without attempts left', new Error('anything unexpected'), 1, 1, { kind: 'give-up' }],
  ];
  for (const [what, err, attempt, attempts, expected] of table) {
    it(what, () => assert.deepEqual(decideFault(err, attempt, attempts), expected));
  }

  it('says how many attempts were made when it gives up', () => {
    assert.equal(gaveUpMessage(1, new Error('x')), 'the platform failed to run the model after 1 attempt: x');
    assert.equal(gaveUpMessage(3, 'y'), 'the platform failed to run the model after 3 attempts: y');
  });
});

describe("what a stopped container's outcome stands for (decideEnd)", () => {
  const exit = (engineStopped: boolean, exitCode: number): ExitInfo => ({ exitCode, oomKilled: false, timedOut: false, cancelled: false, user: '', ...(engineStopped && { engineStopped }) });
  const succeeded: Outcome = { status: 'succeeded', score: 0.9, exitCode: 0 };
  const failed: Outcome = { status: 'failed', reason: 'exit_code', error: 'exited 143', exitCode: 143 };
  const noScore: Outcome = { status: 'failed', reason: 'bad_output', error: 'no score', exitCode: 0 };
  const table: [string, ExitInfo, Outcome, 'keep' | 'rerun'][] = [
    ["keeps the model's own failure", exit(false, 143), failed, 'keep'],
    ["keeps the model's own success", exit(false, 0), succeeded, 'keep'],
    ['reruns a failure the engine caused', exit(true, 143), failed, 'rerun'],
    ["reruns a model that exited 0 on the engine's SIGTERM without its score", exit(true, 0), noScore, 'rerun'],
    ["keeps a score written before the engine's stop", exit(true, 0), succeeded, 'keep'],
  ];
  for (const [what, e, outcome, expected] of table) {
    it(what, () => assert.equal(decideEnd(e, outcome).kind, expected));
  }

  const held = (entries: number) => ({ heldThroughEngineLoss: true, entries });
  const dropped: [string, ExitInfo, Outcome, { heldThroughEngineLoss: boolean; entries?: number; dropped?: boolean; engineClosing?: boolean }, 'keep' | 'rerun'][] = [
    ["reruns a run whose container lived through a lost engine and left its output empty: the engine's restart dropped it", exit(false, 0), noScore, held(0), 'rerun'],
    ['keeps a run that lived through a lost engine with its output there (a blip, not a restart)', exit(false, 0), noScore, held(2), 'keep'],
    ['keeps a score read after a lost engine', exit(false, 0), succeeded, held(1), 'keep'],
    ['keeps an empty output when no engine was lost: the model wrote nothing', exit(false, 0), noScore, { heldThroughEngineLoss: false, entries: 0 }, 'keep'],
    ['keeps a timeout, whatever the output', { ...exit(false, 137), timedOut: true }, failed, held(0), 'keep'],
    ['reruns a run whose output read empty while its keeper had stopped: the tmpfs went with it', exit(false, 0), noScore, { heldThroughEngineLoss: false, entries: 0, dropped: true }, 'rerun'],
    ['keeps a score read while the keeper had stopped (what was read is what the model wrote)', exit(false, 0), succeeded, { heldThroughEngineLoss: false, entries: 1, dropped: true }, 'keep'],
  ];
  for (const [what, e, outcome, output, expected] of dropped) {
    it(what, () => assert.equal(decideEnd(e, outcome, output).kind, expected));
  }

  it('reruns an empty output read while the engine shut down, saying so', () => {
    const end = decideEnd(exit(false, 0), noScore, { heldThroughEngineLoss: false, entries: 0, dropped: true, engineClosing: true });
    assert.ok(end.kind === 'rerun' && /while the engine was shutting down/.test(end.fault.message), JSON.stringify(end));
  });

  it('reruns it as a platform fault, naming the exit code', () => {
    const end = decideEnd(exit(true, 143), failed);
    assert.ok(end.kind === 'rerun' && end.fault instanceof InfrastructureError && /exit code 143/.test(end.fault.message));
  });
});

describe('a dropped output, the one rule for the model and the evaluator (droppedOutput)', () => {
  const exit = (extra: Partial<ExitInfo> = {}): ExitInfo => ({ exitCode: 0, oomKilled: false, timedOut: false, cancelled: false, user: '', ...extra });
  const noScore: Outcome = { status: 'failed', reason: 'bad_output', error: 'no score', exitCode: 0 };
  const evaluatorFailed: Outcome = { status: 'failed', reason: 'evaluator_failed', error: 'no score.json', exitCode: 0 };
  const rejected: Outcome = { status: 'failed', reason: 'bad_output', error: 'the evaluator rejected the predictions', exitCode: 0 };
  const succeeded: Outcome = { status: 'succeeded', score: 0.5, exitCode: 0 };
  const table: [string, ExitInfo, { entries?: number; dropped?: boolean } | undefined, Outcome, boolean][] = [
    ["an evaluator's empty output read while its keeper had stopped: the platform's, retried", exit(), { entries: 0, dropped: true }, evaluatorFailed, true],
    ['a rejecting evaluator (exit 3) whose note went with the tmpfs: retried, so the submitter gets the note', exit({ exitCode: 3 }), { entries: 0, dropped: true }, rejected, true],
    ["a model's empty output read while its keeper had stopped", exit(), { entries: 0, dropped: true }, noScore, true],
    ['an empty output while its keeper held it: the container wrote nothing, its own fault', exit(), { entries: 0 }, evaluatorFailed, false],
    ['an output with files in it: what was read is what was written', exit(), { entries: 2, dropped: true }, evaluatorFailed, false],
    ['a score read, whatever the keeper', exit(), { entries: 0, dropped: true }, succeeded, false],
    ['a timeout stays a timeout', exit({ exitCode: 137, timedOut: true }), { entries: 0, dropped: true }, evaluatorFailed, false],
    ['a cancel stays a cancel', exit({ exitCode: 137, cancelled: true }), { entries: 0, dropped: true }, evaluatorFailed, false],
    ['an OOM kill stays an OOM kill', exit({ exitCode: 137, oomKilled: true }), { entries: 0, dropped: true }, evaluatorFailed, false],
    ['an output never read (an exit that is not read)', exit({ exitCode: 1 }), undefined, evaluatorFailed, false],
  ];
  for (const [what, e, output, outcome, retried] of table) {
    it(what, () => assert.equal(droppedOutput(e, output, outcome, 'evaluator') !== undefined, retried));
  }

  it("is a retried platform fault that names whose output it was, and decideEnd uses it for the model's", () => {
    const fault = droppedOutput(exit(), { entries: 0, dropped: true }, evaluatorFailed, 'evaluator');
    assert.ok(fault instanceof OutputDroppedError && fault instanceof InfrastructureError);
    assert.match(fault.message, /the evaluator's output volume was no longer held.*the evaluator runs again/);
    assert.equal(decideFault(fault, 1, 3).kind, 'retry');
    const end = decideEnd(exit(), noScore, { heldThroughEngineLoss: false, entries: 0, dropped: true });
    assert.ok(end.kind === 'rerun' && end.fault instanceof OutputDroppedError);
    assert.match(end.fault.message, /the run's output volume was no longer held/);
  });
});

describe('how many tries a run took (countAttempts)', () => {
  const ok: Outcome = { status: 'succeeded', score: 1, exitCode: 0 };
  const gaveUp: Outcome = { status: 'failed', reason: 'infrastructure', error: 'x', exitCode: null };
  const table: [string, number, number, Outcome, number][] = [
    ['a first try on its first host', 1, 0, ok, 1],
    ['a retry after one fault kept', 2, 1, ok, 2],
    ["a takeover: the lost host's try is kept, this is the second", 1, 1, ok, 2],
    ['a retry after a takeover', 2, 2, ok, 3],
    ['the try that gave up, whose error is kept already', 3, 3, gaveUp, 3],
    ["errors Redis lost: BullMQ's count is the floor", 3, 0, ok, 3],
  ];
  for (const [what, attempt, kept, outcome, expected] of table) {
    it(what, () => assert.equal(countAttempts(attempt, kept, outcome), expected));
  }
});

describe('the retry budget (RUN_ATTEMPTS, WORKER_MAX_STALLED)', () => {
  const tries: [string, { attempts?: number }, number][] = [
    ['gives a run the attempts its job was added with', { attempts: 5 }, 5],
    ['gives a run added with one attempt no retry', { attempts: 1 }, 1],
    ['gives a job added without attempts one try, as BullMQ does', {}, 1],
  ];
  for (const [what, opts, expected] of tries) {
    it(what, () => assert.equal(attemptsOf({ opts }), expected));
  }

  const stalls: [number, number][] = [
    [0, 0],
    [3, 3],
  ];
  for (const [configured, expected] of stalls) {
    it(`lets BullMQ put a stalled run back ${configured} times (WORKER_MAX_STALLED=${configured})`, () =>
      assert.deepEqual(stallOptions({ maxStalledCount: configured }), { maxStalledCount: expected }));
  }

  const kept: [string, number, number, boolean][] = [
    ['the first try on the first host has kept no errors', 1, 1, false],
    ['a retry can find the errors of the tries before it', 2, 1, true],
    ["a takeover (fence 2) can find the lost host's error on its first try", 1, 2, true],
    ['a retry after a takeover can too', 3, 2, true],
  ];
  for (const [what, attempt, fence, expected] of kept) {
    it(what, () => assert.equal(mayHaveKeptErrors(attempt, fence), expected));
  }
});
