import assert from 'node:assert/strict';
import type { AppliedLimits } from '@modelrun/contracts';
import { type ExitInfo, type Outcome, type OutputContents, classify } from '@modelrun/runner';

const LIMITS: AppliedLimits = { timeoutSeconds: 60, memoryMb: 512, cpus: 1, gpus: 0 };

function exit(overrides: Partial<ExitInfo> = {}): ExitInfo {
  return { exitCode: 0, oomKilled: false, timedOut: false, cancelled: false, user: '', ...overrides };
}

function output(overrides: Partial<OutputContents> = {}): OutputContents {
  return { entries: 1, sample: ['score.json'], totalBytes: 40, dir: { uid: 0, gid: 0, mode: 0o755 }, ...overrides };
}

const scored = (text = '{"score": 0.93, "metrics": {"accuracy": 0.93}}'): OutputContents => output({ score: { file: 'score.json', bytes: Buffer.from(text) } });
const empty = (dir = { uid: 0, gid: 0, mode: 0o755 }): OutputContents => output({ entries: 0, sample: [], totalBytes: 0, dir });

function failure(outcome: Outcome): Extract<Outcome, { status: 'failed' | 'cancelled' }> {
  if (outcome.status === 'succeeded') assert.fail(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('classify', () => {
  describe('precedence', () => {
    it('reports a cancel above everything else', () => {
      const outcome = failure(classify(exit({ cancelled: true, timedOut: true, oomKilled: true, exitCode: 137 }), scored(), LIMITS));
      assert.equal(outcome.status, 'cancelled');
      assert.equal(outcome.reason, 'cancelled');
      assert.equal(outcome.exitCode, 137);
    });

    it('reports a timeout above an OOM kill and the exit code it caused', () => {
      const outcome = failure(classify(exit({ timedOut: true, oomKilled: true, exitCode: 137 }), scored(), LIMITS));
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.reason, 'timeout');
      assert.match(outcome.error, /time limit of 60 s/);
    });

    it('reports an OOM kill above the exit code', () => {
      const outcome = failure(classify(exit({ oomKilled: true, exitCode: 137 }), undefined, LIMITS));
      assert.equal(outcome.reason, 'oom');
      assert.match(outcome.error, /out of memory/);
      assert.match(outcome.error, /512 MiB/);
      assert.equal(outcome.exitCode, 137);
    });

    it('fails an OOM-killed run that exited 0, even with a valid score', () => {
      const outcome = failure(classify(exit({ oomKilled: true, exitCode: 0 }), scored(), LIMITS));
      assert.equal(outcome.reason, 'oom');
      assert.match(outcome.error, /exited 0/);
      assert.equal(outcome.exitCode, 0);
    });

    it('reports a non-zero exit above a valid score', () => {
      const outcome = failure(classify(exit({ exitCode: 3 }), scored(), LIMITS));
      assert.equal(outcome.reason, 'exit_code');
      assert.equal(outcome.error, 'the model exited with code 3');
      assert.equal(outcome.exitCode, 3);
    });

    it('reports a non-zero exit above an output problem', () => {
      const outcome = failure(classify(exit({ exitCode: 1 }), output({ problem: 'score.json is a FIFO' }), LIMITS));
      assert.equal(outcome.reason, 'exit_code');
    });

    it('reports an output problem above a missing score', () => {
      const outcome = failure(classify(exit(), output({ problem: 'the output folder holds more than 3 entries' }), LIMITS));
      assert.equal(outcome.reason, 'bad_output');
      assert.equal(outcome.error, 'the output folder holds more than 3 entries');
    });

    it('reports an output problem even when a score was read', () => {
      const outcome = failure(classify(exit(), { ...scored(), problem: 'the output folder could not be read (x)' }, LIMITS));
      assert.equal(outcome.reason, 'bad_output');
      assert.equal(outcome.error, 'the output folder could not be read (x)');
    });

    it('fails with bad_output when the output could not be read at all', () => {
      const outcome = failure(classify(exit(), undefined, LIMITS));
      assert.equal(outcome.reason, 'bad_output');
      assert.match(outcome.error, /could not be read/);
    });
  });

  describe('exit code hints', () => {
    const hints: [number, RegExp][] = [
      [126, /could not be executed/],
      [127, /not found/],
      [137, /killed by signal 9/],
      [143, /killed by signal 15/],
    ];
    for (const [code, hint] of hints) {
      it(`explains exit code ${code}`, () => {
        const outcome = failure(classify(exit({ exitCode: code }), undefined, LIMITS));
        assert.match(outcome.error, new RegExp(`^the model exited with code ${code} \\(`));
        assert.match(outcome.error, hint);
      });
    }

    it('adds no hint to an ordinary exit code', () => {
      assert.equal(failure(classify(exit({ exitCode: 2 }), undefined, LIMITS)).error, 'the model exited with code 2');
    });
  });

  describe('no score', () => {
    it('says where the score was expected', () => {
      const outcome = failure(classify(exit(), empty(), LIMITS));
      assert.equal(outcome.reason, 'bad_output');
      assert.match(outcome.error, /exited 0 but wrote no score/);
      assert.match(outcome.error, /\/output\/score\.json/);
      assert.match(outcome.error, /\/output\/score\)/);
    });

    it('hints at permissions when a non-root image meets a root-owned 0755 /output', () => {
      for (const user of ['1000', 'model', '1000:1000']) {
        const outcome = failure(classify(exit({ user }), empty(), LIMITS));
        assert.match(outcome.error, /uid 0 with mode 755/, user);
        assert.match(outcome.error, new RegExp(`runs as user "${user}"`), user);
        assert.match(outcome.error, /Dockerfile/, user);
      }
    });

    it('gives no permission hint to an image that runs as root', () => {
      for (const user of ['', 'root', '0', '0:0', 'root:root']) {
        const outcome = failure(classify(exit({ user }), empty(), LIMITS));
        assert.doesNotMatch(outcome.error, /\buid\b|Dockerfile/, JSON.stringify(user));
      }
    });

    it('gives no permission hint when /output is writable by everyone', () => {
      const outcome = failure(classify(exit({ user: '1000' }), empty({ uid: 0, gid: 0, mode: 0o777 }), LIMITS));
      assert.doesNotMatch(outcome.error, /Dockerfile/);
    });

    it('gives no permission hint when /output belongs to the uid the image runs as', () => {
      const outcome = failure(classify(exit({ user: '1000' }), empty({ uid: 1000, gid: 1000, mode: 0o755 }), LIMITS));
      assert.doesNotMatch(outcome.error, /Dockerfile/);
    });
  });

  it('fails with the parser message when the score is invalid', () => {
    const outcome = failure(classify(exit(), scored('{"score": "high"}'), LIMITS));
    assert.equal(outcome.reason, 'bad_output');
    assert.match(outcome.error, /score\.json: score: expected number, got the string "high"/);
    assert.equal(outcome.exitCode, 0);
  });

  it('fails when a plain score file holds no number', () => {
    const outcome = failure(classify(exit(), output({ score: { file: 'score', bytes: Buffer.from('0x10') } }), LIMITS));
    assert.equal(outcome.reason, 'bad_output');
    assert.match(outcome.error, /one decimal number/);
  });

  it('succeeds with the score and metrics of a valid score.json', () => {
    assert.deepEqual(classify(exit(), scored(), LIMITS), {
      status: 'succeeded',
      score: 0.93,
      metrics: { accuracy: 0.93 },
      exitCode: 0,
    });
  });

  it('succeeds without metrics from a plain score file', () => {
    assert.deepEqual(classify(exit({ user: '1000' }), output({ score: { file: 'score', bytes: Buffer.from('0.77\n') } }), LIMITS), {
      status: 'succeeded',
      score: 0.77,
      exitCode: 0,
    });
  });
});
