import { Command } from 'commander';
import { DetailsFile, isFinal, RunId, RunView } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { type Context, printJson } from '../context';
import { EXIT, usageError } from '../errors';
import { PrintableStream } from '../output/printable';
import { formatOutcome, formatRun } from '../output/run-report';
import { formatDetails, noDetailsText } from '../output/run-details';
import { leftWatching } from './submit';
import { watchRun } from './watch';

/** A run id, checked before it goes into a URL. */
function runId(id: string): string {
  if (!RunId.safeParse(id).success) throw usageError(`${JSON.stringify(id)} is not a run id (they look like 01a21c4c-2675-7876-8c5f-439c69e7e79b)`);
  return id;
}

export function runCommand(deps: CliDeps): Command {
  return new Command('run')
    .description('show one run: status, phase, reason and error, score and metrics')
    .argument('<id>', 'the run id')
    .option('-w, --wait', 'watch it until it ends (exit 1 if it did not succeed)')
    .option('-l, --logs', 'with --wait, stream its output too')
    .option('-d, --details', "a benchmark run's detailed results from its evaluator (yours only): its tables after the run")
    .action(
      action(deps, async (ctx, id: string, opts: { wait?: boolean; logs?: boolean; details?: boolean }) => {
        const first = await ctx.api.get(`/v1/runs/${runId(id)}`, RunView);
        if (opts.details && !opts.wait && !opts.logs) {
          // A teammate sees the run but not its details (readLogs goes to the same callers): no request that would 404.
          const details = first.hasDetails && first.may?.readLogs !== false ? await ctx.api.get(`/v1/runs/${first.id}/details`, DetailsFile) : undefined;
          if (ctx.json) printJson(ctx, { ...first, ...(details && { details }) });
          else ctx.term.out.write(`${formatRun(ctx, first)}\n${details ? formatDetails(ctx, details) : noDetailsText(first)}`);
          return EXIT.ok;
        }
        if (!opts.wait && !opts.logs) {
          if (ctx.json) printJson(ctx, first);
          else ctx.term.out.write(formatRun(ctx, first));
          return EXIT.ok;
        }
        const run = isFinal(first.status) ? first : await watchRun(ctx, first, { logs: opts.logs === true }, deps.signal);
        if (deps.signal.aborted) return leftWatching(ctx, run);
        if (ctx.json) printJson(ctx, run);
        else ctx.term.out.write(formatOutcome(ctx, run));
        return run.status === 'succeeded' ? EXIT.ok : EXIT.runFailed;
      }),
    );
}

export function cancelCommand(deps: CliDeps): Command {
  return new Command('cancel')
    .description('cancel a queued or running run (a finished one cannot be: exit 3)')
    .argument('<id>', 'the run id')
    .action(
      action(deps, async (ctx, id: string) => {
        const run = await ctx.api.delete(`/v1/runs/${runId(id)}`, RunView);
        if (ctx.json) printJson(ctx, run);
        else ctx.term.out.write(`cancelled run ${run.id} (${run.name}); its container, if any, is stopped within seconds\n`);
        return EXIT.ok;
      }),
    );
}

export function rerunCommand(deps: CliDeps): Command {
  return new Command('rerun')
    .description('run a finished run again (operators and admins): same name, benchmark and limits, its pinned image digest, owned by its submitter, outside their quota')
    .argument('<id>', 'the id of the run to repeat')
    .action(
      action(deps, async (ctx, id: string) => {
        const run = await ctx.api.post(`/v1/runs/${runId(id)}/rerun`, {}, RunView);
        if (ctx.json) printJson(ctx, run);
        else ctx.term.out.write(`queued run ${run.id} (${run.name}), a re-run of ${id}, image ${run.image}; follow it with: modelrun run ${run.id} --wait\n`);
        return EXIT.ok;
      }),
    );
}

export function logsCommand(deps: CliDeps): Command {
  return new Command('logs')
    .description("print a run's output (the last part the API keeps); -f follows a live run until it ends")
    .argument('<id>', 'the run id')
    .option('-f, --follow', 'keep printing while the run runs')
    .option('--raw', "print the output's bytes as they are, escape sequences and control characters included (by default they are dropped: a model's output must not drive your terminal)")
    .action(
      action(deps, async (ctx: Context, id: string, opts: { follow?: boolean; raw?: boolean }) => {
        const path = `/v1/runs/${runId(id)}/logs${opts.follow ? '?follow=true' : ''}`;
        const clean = opts.raw ? undefined : new PrintableStream();
        try {
          for await (const chunk of ctx.api.stream(path, deps.signal)) ctx.term.out.write(clean ? clean.write(chunk) : chunk);
        } catch (err) {
          if (!deps.signal.aborted) throw err;
        } finally {
          if (clean) ctx.term.out.write(clean.end());
        }
        return deps.signal.aborted ? EXIT.interrupted : EXIT.ok;
      }),
    );
}
