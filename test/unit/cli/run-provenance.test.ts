import assert from 'node:assert/strict';
import { type RunRecord, viewOfRecord } from '@modelrun/contracts';
import type { Context } from '../../../apps/cli/src/context';
import { formatRun } from '../../../apps/cli/src/output/run-report';

const DIGEST = `reg.example/team/m@sha256:${'ab'.repeat(32)}`;

/** A re-run that was retried once after its first host was lost: every provenance field set. */
const record: RunRecord = {
  version: 1,
  id: '01a24c7f-64fb-7530-8030-d1a87e78a235',
  name: 'traced',
  image: DIGEST,
  submittedBy: { user: 'alice', team: 'red' },
  rerunOf: '01a24c7f-64fb-7530-8030-d1a87e78a234',
  requestedBy: 'olga',
  status: 'succeeded',
  score: 0.5,
  exitCode: 0,
  limits: { timeoutSeconds: 60, memoryMb: 256, cpus: 1, gpus: 0 },
  createdAt: '2026-12-01T12:00:00.000Z',
  finishedAt: '2026-12-01T12:00:05.000Z',
  attempts: 2,
  host: 'host-a',
  imageDigest: DIGEST,
  attemptErrors: [{ attempt: 1, at: '2026-12-01T12:00:02.000Z', message: 'host host-b was lost', host: 'host-b' }],
};
const ctx = { style: { bold: String, dim: String, red: String, green: String, yellow: String } } as unknown as Context;

describe("modelrun run ID: a run's provenance (issue 18)", () => {
  it('names the image digest it ran, who submitted it, the run it repeats and who asked, and the host of each try', () => {
    const text = formatRun(ctx, viewOfRecord(record));
    assert.match(text, new RegExp(`^image digest: +${DIGEST.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.match(text, /^submitted by: +alice \(team red\)$/m);
    assert.match(text, /^re-run of: +01a24c7f-64fb-7530-8030-d1a87e78a234 \(asked by olga\)$/m);
    assert.match(text, /^host: +host-a$/m);
    assert.match(text, /^ {2}attempt 1 \(2026-12-01T12:00:02\.000Z, on host-b\): host host-b was lost$/m);
  });

  it('leaves them out for a run recorded before they were kept', () => {
    const { submittedBy: _s, rerunOf: _r, requestedBy: _q, host: _h, imageDigest: _d, attemptErrors: _a, ...old } = record;
    const text = formatRun(ctx, viewOfRecord({ ...old, image: 'team/m:1' }));
    assert.doesNotMatch(text, /image digest|submitted by|re-run of|^host:/m);
  });

  it("says what a host must have, what a queued run waits for, and a benchmark run's phase, private score and selection", () => {
    const text = formatRun(ctx, {
      ...viewOfRecord({ ...record, benchmark: 'digits', benchmarkPhase: 'final', privateScore: 0.9956, privateMetrics: { accuracy: 0.9956 } }),
      requires: ['gpu=a100', 'runtime=runsc'],
      waitingFor: 'a host with gpu=a100 (hosts: host-a)',
      selected: true,
    });
    assert.match(text, /^requires: +gpu=a100, runtime=runsc$/m);
    assert.match(text, /^waiting for: +a host with gpu=a100 \(hosts: host-a\)$/m);
    assert.match(text, /^benchmark: +digits \(phase final\)$/m);
    assert.match(text, /^private score: +0\.9956$/m);
    assert.match(text, /^selected: +yes, for the private board$/m);
  });
});
