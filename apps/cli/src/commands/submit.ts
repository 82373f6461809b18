import { Command, Option } from 'commander';
import { RunView, SubmitRunRequest } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { type Context, printJson } from '../context';
import { EXIT, usageError } from '../errors';
import { LIMIT_FLAGS, type LimitFlags, limitsFromFlags } from '../limits-flags';
import { formatOutcome } from '../output/run-report';
import { watchRun } from './watch';

interface SubmitOptions extends LimitFlags {
  name: string;
  wait?: boolean;
  logs?: boolean;
  idempotencyKey?: string;
  benchmark?: string;
}

export function submitCommand(deps: CliDeps): Command {
  const cmd = new Command('submit')
    .description('submit a run of a model image; with --wait, watch it to the end and exit 0 only if it succeeded')
    .argument('<image>', 'the model image, e.g. registry.example/team/model:1.0')
    .requiredOption('-n, --name <name>', 'the model name on the leaderboard (a-z 0-9 . _ -)')
    .option('-w, --wait', 'watch the run until it ends, then show its score (exit 1 if it did not succeed)')
    .option('-l, --logs', "stream the run's output while it runs (implies --wait)")
    .option('--idempotency-key <key>', 'submitting again with the same key and body returns the same run')
    .option('-b, --benchmark <name>', "score the run with this benchmark's evaluator (modelrun benchmarks lists them); its limits apply");
  for (const [flag, { help }] of Object.entries(LIMIT_FLAGS)) cmd.addOption(new Option(`--${flag} <n>`, help));
  cmd.option('--limits <json>', 'limits as JSON, e.g. \'{"timeoutSeconds": 120}\' (the flags above override it)');
  return cmd.action(action(deps, (ctx, image: string, opts: SubmitOptions) => submit(ctx, image, opts, deps.signal)));
}

async function submit(ctx: Context, image: string, opts: SubmitOptions, signal: AbortSignal): Promise<number> {
  const limits = limitsFromFlags(opts);
  // The API's own schema first: a bad name or image is refused here, in its words, without a round trip.
  const body = SubmitRunRequest.safeParse({ image, name: opts.name, ...(limits && { limits }), ...(opts.benchmark !== undefined && { benchmark: opts.benchmark }) });
  if (!body.success) {
    const issue = body.error.issues[0]!;
    const flag = issue.path[0] === 'name' ? '--name' : issue.path[0] === 'benchmark' ? '--benchmark' : String(issue.path[0] ?? 'image');
    throw usageError(`${flag}: ${issue.message}`);
  }
  const headers = opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : undefined;
  const queued = await ctx.api.post('/v1/models', body.data, RunView, headers);
  if (!opts.wait && !opts.logs) {
    if (ctx.json) printJson(ctx, queued);
    else ctx.term.out.write(`submitted run ${queued.id} (${queued.name}, ${queued.image}): ${queued.status}\nwatch it:  modelrun run ${queued.id} --wait\n`);
    return EXIT.ok;
  }
  if (!ctx.json) ctx.term.out.write(`submitted run ${queued.id} (${queued.name}, ${queued.image})\n`);
  const run = await watchRun(ctx, queued, { logs: opts.logs === true }, signal);
  if (signal.aborted) return leftWatching(ctx, run);
  if (ctx.json) printJson(ctx, run);
  else ctx.term.out.write(formatOutcome(ctx, run));
  return run.status === 'succeeded' ? EXIT.ok : EXIT.runFailed;
}

/** Ctrl-C while watching stops the watching, not the run. */
export function leftWatching(ctx: Context, run: RunView): number {
  ctx.term.err.write(`stopped watching; run ${run.id} goes on (modelrun run ${run.id} --wait, or modelrun cancel ${run.id})\n`);
  return EXIT.interrupted;
}
