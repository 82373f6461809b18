import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { RescoreProgress, RunId } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { type Context, printJson } from '../context';
import { EXIT, usageError } from '../errors';

/** How often `--wait` asks for the progress. */
const POLL_MS = 1_000;

/**
 * `modelrun rescore RUN_ID` and `modelrun rescore --benchmark NAME [--phase P]` (issue 19,
 * operators and admins): the benchmark's current evaluator again on kept predictions. Prints the
 * re-score's id; with --wait, its progress until every run is done.
 */
export function rescoreCommand(deps: CliDeps): Command {
  return new Command('rescore')
    .description("re-score a run, or every scored run of a benchmark (or one of its phases), with the benchmark's current evaluator on the kept predictions (operators and admins)")
    .argument('[id]', 'the run to re-score (or --benchmark)')
    .option('--benchmark <name>', 'every scored run of this benchmark')
    .option('--phase <name>', 'with --benchmark: only the runs of this phase')
    .option('--wait', 'print the progress until every run is done')
    .action(
      action(deps, async (ctx, id: string | undefined, opts: { benchmark?: string; phase?: string; wait?: boolean }) => {
        if ((id === undefined) === (opts.benchmark === undefined)) throw usageError('name a run id or --benchmark NAME (not both)');
        if (opts.phase !== undefined && opts.benchmark === undefined) throw usageError('--phase goes with --benchmark');
        if (id !== undefined && !RunId.safeParse(id).success) throw usageError(`${JSON.stringify(id)} is not a run id (they look like 01a21c4c-2675-7876-8c5f-439c69e7e79b)`);
        const path = id !== undefined ? `/v1/runs/${id}/rescore` : `/v1/benchmarks/${encodeURIComponent(opts.benchmark!)}/rescore`;
        let progress = await ctx.api.post(path, opts.phase !== undefined ? { phase: opts.phase } : {}, RescoreProgress);
        if (!ctx.json)
          ctx.term.out.write(
            `re-score ${progress.id} of ${progress.total} run${progress.total === 1 ? '' : 's'} of benchmark ${progress.benchmark}${progress.phase ? ` (phase ${progress.phase})` : ''}\n`,
          );
        if (opts.wait) progress = await follow(ctx, deps, progress);
        if (ctx.json) printJson(ctx, progress);
        return EXIT.ok;
      }),
    );
}

async function follow(ctx: Context, deps: CliDeps, start: RescoreProgress): Promise<RescoreProgress> {
  let progress = start;
  let shown = '';
  for (;;) {
    const line = describe(progress);
    if (!ctx.json && line !== shown) ctx.term.out.write(`${line}\n`);
    shown = line;
    if (progress.done >= progress.total) return progress;
    await sleep(POLL_MS, undefined, { signal: deps.signal });
    progress = await ctx.api.get(`/v1/rescores/${progress.id}`, RescoreProgress, deps.signal);
  }
}

/** One line of progress: `12/20 done: 9 changed, 2 unchanged, 1 skipped, 0 failed`. */
export function describe(p: RescoreProgress): string {
  return `${p.done}/${p.total} done: ${p.changed} changed, ${p.unchanged} unchanged, ${p.skipped} skipped (no kept predictions), ${p.failed} failed`;
}
