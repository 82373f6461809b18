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
  requires?: string[];
  priority?: string;
}

/** `--requires gpu=a100` (repeatable) as the API's `requires` object; the API says which keys it allows. */
function requiresOf(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--requires: ${JSON.stringify(pair)} is not key=value (e.g. --requires gpu=a100)`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

function priorityOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]$/.test(text)) throw usageError(`--priority: ${JSON.stringify(text)} is not a level from 1 (first) to 9 (last)`);
  return Number(text);
}

export function submitCommand(deps: CliDeps): Command {
  const cmd = new Command('submit')
    .description('submit a run of a model image; with --wait, watch it to the end and exit 0 only if it succeeded')
    .argument('<image>', 'the model image, e.g. registry.example/team/model:1.0')
    .requiredOption('-n, --name <name>', 'the model name on the leaderboard (a-z 0-9 . _ -)')
    .option('-w, --wait', 'watch the run until it ends, then show its score (exit 1 if it did not succeed)')
    .option('-l, --logs', "stream the run's output while it runs (implies --wait)")
    .option('--idempotency-key <key>', 'submitting again with the same key and body returns the same run')
    .option('-b, --benchmark <name>', "score the run with this benchmark's evaluator (modelrun benchmarks lists them); its limits apply")
    .option('--requires <key=value>', 'a label the host must have, e.g. gpu=a100 (repeatable; only keys the operator allows, RUN_ALLOWED_LABELS)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--priority <n>', "operators and admins: the run's level, 1 first to 9 last (default: its benchmark's, else 5)");
  for (const [flag, { help }] of Object.entries(LIMIT_FLAGS)) cmd.addOption(new Option(`--${flag} <n>`, help));
  cmd.option('--limits <json>', 'limits as JSON, e.g. \'{"timeoutSeconds": 120}\' (the flags above override it)');
  return cmd.action(action(deps, (ctx, image: string, opts: SubmitOptions) => submit(ctx, image, opts, deps.signal)));
}

async function submit(ctx: Context, image: string, opts: SubmitOptions, signal: AbortSignal): Promise<number> {
  const limits = limitsFromFlags(opts);
  // The API's own schema first: a bad name or image is refused here, in its words, without a round trip.
  const requires = requiresOf(opts.requires);
  const priority = priorityOf(opts.priority);
  const body = SubmitRunRequest.safeParse({
    image,
    name: opts.name,
    ...(limits && { limits }),
    ...(opts.benchmark !== undefined && { benchmark: opts.benchmark }),
    ...(requires && { requires }),
    ...(priority !== undefined && { priority }),
  });
  if (!body.success) {
    const issue = body.error.issues[0]!;
    const field = String(issue.path[0] ?? 'image');
    const flag = ['name', 'benchmark', 'requires', 'priority'].includes(field) ? `--${field}` : field;
    throw usageError(`${flag}: ${issue.message}`);
  }
  const headers = opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : undefined;
  const queued = await ctx.api.post('/v1/models', body.data, RunView, headers);
  if (!opts.wait && !opts.logs) {
    if (ctx.json) printJson(ctx, queued);
    else
      ctx.term.out.write(
        `submitted run ${queued.id} (${queued.name}, ${queued.image}): ${queued.status}${queued.requires?.length ? `, on a host with ${queued.requires.join(', ')}` : ''}\nwatch it:  modelrun run ${queued.id} --wait\n`,
      );
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
