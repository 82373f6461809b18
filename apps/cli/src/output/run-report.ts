import type { RunView } from '@modelrun/contracts';
import type { Context } from '../context';
import { ago, describeLimits, elapsed, score, seconds, statusText } from './format';
import { printable } from './printable';
import { formatFields, formatTable } from './table';
import { formatScoreHistory } from './score-history';

/** Everything about one run, for a person. */
export function formatRun(ctx: Context, run: RunView): string {
  const s = ctx.style;
  const status = run.status === 'succeeded' ? s.green(statusText(run)) : run.status === 'failed' ? s.red(statusText(run)) : statusText(run);
  const fields = formatFields([
    ['run', run.id],
    ['model', run.name],
    ['image', run.image],
    // What it really ran, who submitted it, where its last try ran (issue 18); absent on older runs.
    ['image digest', run.imageDigest],
    ['submitted by', run.submittedBy && printable(`${run.submittedBy.user}${run.submittedBy.team ? ` (team ${run.submittedBy.team})` : ''}`)],
    ['re-run of', run.rerunOf && `${run.rerunOf}${run.requestedBy ? ` (asked by ${printable(run.requestedBy)})` : ''}`],
    ['host', run.host && printable(run.host)],
    // Where it may run and, queued, what it waits for (issue 23); its benchmark's phase (issue 19).
    ['requires', run.requires?.length ? printable(run.requires.join(', ')) : undefined],
    ['waiting for', run.waitingFor && printable(run.waitingFor)],
    ['benchmark', run.benchmark && printable(`${run.benchmark}${run.benchmarkPhase ? ` (phase ${run.benchmarkPhase})` : ''}`)],
    ['status', status],
    ['error', run.error && run.status !== 'succeeded' ? printable(run.error) : undefined],
    ['exit code', run.exitCode === undefined || run.exitCode === null ? undefined : String(run.exitCode)],
    ['score', run.score === undefined ? undefined : s.bold(score(run.score))],
    // Only to callers who may see the benchmark's private board (the API leaves it out otherwise).
    ['private score', run.privateScore === undefined ? undefined : score(run.privateScore)],
    ['selected', run.selected === undefined ? undefined : run.selected ? 'yes, for the private board' : 'no'],
    ['limits', describeLimits(run.limits)],
    ['created', `${run.createdAt} (${ago(run.createdAt)})`],
    ['started', run.startedAt],
    ['finished', run.finishedAt],
    ['model ran', elapsed(run)],
    ['submission to result', run.turnaroundMs === undefined ? undefined : seconds(run.turnaroundMs)],
    ['attempts', run.attempts === undefined ? undefined : String(run.attempts)],
    // A benchmark run's results beside its score (issue 19).
    ['evaluator', run.evaluatorImage],
    ['predictions', run.predictionsBytes === undefined ? undefined : `${run.predictionsBytes} bytes kept (GET /v1/runs/${run.id}/predictions)`],
    ['details', run.hasDetails ? `modelrun run ${run.id} --details` : run.detailsError && `left out: ${printable(run.detailsError)}`],
  ]);
  const attempts = (run.attemptErrors ?? []).map((a) => `  attempt ${a.attempt} (${a.at}${a.host ? `, on ${printable(a.host)}` : ''}): ${printable(a.message)}`);
  return fields + (attempts.length ? `earlier attempts failed:\n${attempts.join('\n')}\n` : '') + formatMetrics(run) + formatScoreHistory(run);
}

export function formatMetrics(run: RunView): string {
  const metrics = Object.entries(run.metrics ?? {});
  if (metrics.length === 0) return '';
  return `metrics:\n${formatTable(
    ['  name', 'value'],
    metrics.map(([k, v]) => [`  ${printable(k)}`, score(v)]),
    [1],
  )}`;
}

/** The last word on a run that was waited for: how it ended, and why when it did not succeed. */
export function formatOutcome(ctx: Context, run: RunView): string {
  const s = ctx.style;
  const took = tookText(run);
  if (run.status === 'succeeded') return `${s.green('succeeded')}${took}: score ${s.bold(score(run.score))}\n${formatMetrics(run)}`;
  if (run.status === 'cancelled') return `${s.yellow('cancelled')}: ${printable(run.error ?? 'the run was cancelled')}\n`;
  // The exit code when the error does not already say it.
  const exit = run.exitCode === undefined || run.exitCode === null || run.reason === 'exit_code' ? '' : ` (exit code ${run.exitCode})`;
  return `${s.red(`failed (${run.reason ?? 'unknown'})`)}${took}: ${printable(run.error ?? 'no error was recorded')}${exit}\n`;
}

/**
 * The run's two times, each named: a model that exits at once ran 0.0 s, while the result still
 * took its queueing, pull and recording to come.
 */
function tookText(run: RunView): string {
  const ran = run.ranMs ?? run.durationMs;
  const ranText = ran === undefined ? '' : `the model ran ${seconds(ran)}`;
  if (run.turnaroundMs === undefined) return ranText && ` (${ranText})`;
  return ` in ${seconds(run.turnaroundMs)} from submission${ranText && ` (${ranText})`}`;
}
