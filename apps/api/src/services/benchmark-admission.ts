import type { Benchmarks } from '@modelrun/config';
import { type AppliedLimits, type BenchmarkDefinition, type BenchmarkPhase, type LimitPolicy, type SubmitRunRequest, quotaScope, quotasIn, resolveLimits } from '@modelrun/contracts';
import type { QuotaLedger } from '@modelrun/run-control';
import { InvalidRequest, QuotaExceeded, viaRedis } from './errors';

/**
 * What a submission may run with: its own limits for a self-scored run; for a benchmark run,
 * the benchmark's model limits (every entry on a leaderboard ran under the same ones).
 */
export function admitLimits(req: SubmitRunRequest, benchmarks: Benchmarks, policy: LimitPolicy): { limits: AppliedLimits; benchmark?: BenchmarkDefinition } {
  if (req.benchmark === undefined) {
    const r = resolveLimits(req.limits, policy);
    if (!r.ok) throw new InvalidRequest(r.message, r.problems);
    return { limits: r.limits };
  }
  const benchmark = benchmarks.get(req.benchmark);
  if (!benchmark) {
    const known = [...benchmarks.keys()];
    const problem = `there is no benchmark named ${JSON.stringify(req.benchmark)}${known.length ? ` (known: ${known.join(', ')})` : ' (none are configured)'}`;
    throw new InvalidRequest(`benchmark: ${problem}`, [{ path: 'benchmark', message: problem }]);
  }
  if (req.limits !== undefined) {
    const problem = `a run of benchmark ${benchmark.name} takes the benchmark's limits; leave limits out`;
    throw new InvalidRequest(`limits: ${problem}`, [{ path: 'limits', message: problem }]);
  }
  // Checked against the ceilings at start (loadApiConfig), so this cannot fail.
  const r = resolveLimits(benchmark.model?.limits, policy);
  if (!r.ok) throw new InvalidRequest(`benchmark ${benchmark.name}: ${r.message}`);
  return { limits: r.limits, benchmark };
}

/** Takes a place in the caller's quota for the benchmark (in `phase`, its own count), or refuses with 429 and when to come back. */
export async function reserveQuota(ledger: QuotaLedger, benchmark: BenchmarkDefinition, caller: string, runId: string, now = Date.now(), phase?: BenchmarkPhase): Promise<void> {
  const decision = await viaRedis(() => ledger.reserve(quotaScope(benchmark.name, phase?.name), caller, runId, quotasIn(benchmark, phase), now));
  if (decision.ok) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  const nextAllowedAt = new Date(now + retryAfterSeconds * 1000).toISOString();
  // In a phase its quotas are the phase's: the message names it.
  const which = phase ? `benchmark ${benchmark.name} in phase ${phase.name}` : `benchmark ${benchmark.name}`;
  const message =
    decision.quota === 'perDay'
      ? `quota: ${which} allows ${decision.limit} counted submission${decision.limit > 1 ? 's' : ''} per caller in 24 hours (failed and cancelled runs do not count); the next is allowed at ${nextAllowedAt}`
      : `quota: ${which} allows ${decision.limit} run${decision.limit > 1 ? 's' : ''} per caller queued or running at once; submit again when one ends`;
  throw new QuotaExceeded(message, retryAfterSeconds, decision.quota === 'perDay' ? nextAllowedAt : undefined);
}
