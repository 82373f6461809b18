import assert from 'node:assert/strict';
import { type LimitPolicy, type LimitsResult, RequestedLimits, resolveLimits } from '@modelrun/contracts';

const policy: LimitPolicy = {
  defaults: { timeoutSeconds: 600, memoryMb: 1024, cpus: 1, gpus: 0 },
  ceilings: { timeoutSeconds: 3600, memoryMb: 8192, cpus: 4, gpus: 0 },
};
const withGpus: LimitPolicy = { ...policy, ceilings: { ...policy.ceilings, gpus: 2 } };

function refusal(result: LimitsResult): string {
  if (result.ok) assert.fail(`expected a refusal, got ${JSON.stringify(result.limits)}`);
  return result.message;
}

describe('resolveLimits', () => {
  it('fills every limit with its default when none is requested', () => {
    assert.deepEqual(resolveLimits(undefined, policy), { ok: true, limits: policy.defaults });
    assert.deepEqual(resolveLimits({}, policy), { ok: true, limits: policy.defaults });
  });

  it('keeps what was requested and defaults the rest', () => {
    assert.deepEqual(resolveLimits({ memoryMb: 2048, cpus: 0.5 }, policy), {
      ok: true,
      limits: { timeoutSeconds: 600, memoryMb: 2048, cpus: 0.5, gpus: 0 },
    });
  });

  it('treats a limit given as undefined as not requested', () => {
    assert.deepEqual(resolveLimits({ timeoutSeconds: undefined }, policy), { ok: true, limits: policy.defaults });
  });

  it('accepts a request exactly at every ceiling', () => {
    assert.deepEqual(resolveLimits({ timeoutSeconds: 3600, memoryMb: 8192, cpus: 4, gpus: 2 }, withGpus), {
      ok: true,
      limits: { timeoutSeconds: 3600, memoryMb: 8192, cpus: 4, gpus: 2 },
    });
  });

  it('refuses a timeout over its ceiling, naming the ceiling', () => {
    const message = refusal(resolveLimits({ timeoutSeconds: 3601 }, policy));
    assert.match(message, /limits\.timeoutSeconds/);
    assert.match(message, /3601 is over the ceiling of 3600s/);
  });

  it('refuses memory over its ceiling, naming the ceiling', () => {
    const message = refusal(resolveLimits({ memoryMb: 8193 }, policy));
    assert.match(message, /limits\.memoryMb/);
    assert.match(message, /over the ceiling of 8192 MiB/);
  });

  it('refuses CPUs over their ceiling, naming the ceiling', () => {
    const message = refusal(resolveLimits({ cpus: 4.5 }, policy));
    assert.match(message, /limits\.cpus/);
    assert.match(message, /4\.5 is over the ceiling of 4 CPUs/);
  });

  it('refuses GPUs with "not enabled" when the GPU ceiling is 0', () => {
    const message = refusal(resolveLimits({ gpus: 1 }, policy));
    assert.match(message, /limits\.gpus/);
    assert.match(message, /not enabled/);
    assert.match(message, /RUN_GPUS_MAX is 0/);
  });

  it('refuses GPUs over a non-zero ceiling, naming the ceiling', () => {
    const message = refusal(resolveLimits({ gpus: 3 }, withGpus));
    assert.match(message, /over the ceiling of 2 GPUs/);
  });

  it('accepts GPUs within a non-zero ceiling', () => {
    const result = resolveLimits({ gpus: 1 }, withGpus);
    assert.deepEqual(result, { ok: true, limits: { ...policy.defaults, gpus: 1 } });
  });
});

describe('RequestedLimits', () => {
  const issues = (input: unknown) => {
    const parsed = RequestedLimits.safeParse(input);
    if (parsed.success) assert.fail(`expected ${JSON.stringify(input)} to be refused`);
    return parsed.error.issues;
  };

  it('accepts every known limit', () => {
    assert.deepEqual(RequestedLimits.parse({ timeoutSeconds: 60, memoryMb: 256, cpus: 0.5, gpus: 0 }), {
      timeoutSeconds: 60,
      memoryMb: 256,
      cpus: 0.5,
      gpus: 0,
    });
  });

  it('refuses an unknown field', () => {
    const [issue] = issues({ memoryMb: 256, memorySwap: -1 });
    assert.equal(issue?.code, 'unrecognized_keys');
    assert.match(issue?.message ?? '', /memorySwap/);
  });

  it('refuses a timeout that is not a whole number of seconds', () => {
    const [issue] = issues({ timeoutSeconds: 1.5 });
    assert.deepEqual(issue?.path, ['timeoutSeconds']);
    assert.match(issue?.message ?? '', /whole number of seconds/);
  });

  it('refuses memory that is not a whole number of MiB', () => {
    assert.match(issues({ memoryMb: 512.5 })[0]?.message ?? '', /whole number of MiB/);
  });

  it('refuses a fractional GPU count', () => {
    assert.match(issues({ gpus: 0.5 })[0]?.message ?? '', /whole number/);
  });

  it('refuses zero, negative and too-small values', () => {
    assert.match(issues({ timeoutSeconds: 0 })[0]?.message ?? '', /positive/);
    assert.match(issues({ memoryMb: 8 })[0]?.message ?? '', /at least 16/);
    assert.match(issues({ cpus: 0 })[0]?.message ?? '', /at least 0\.01/);
    assert.match(issues({ gpus: -1 })[0]?.message ?? '', /not be negative/);
  });

  it('refuses numbers written as strings', () => {
    assert.deepEqual(issues({ memoryMb: '512' })[0]?.path, ['memoryMb']);
  });
});
