import { Command } from 'commander';
import { RunId, RunView } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { printJson } from '../context';
import { EXIT, usageError } from '../errors';

/**
 * `modelrun select ID` and `modelrun select --remove ID` (issue 19): choose which runs stand for
 * a model on a `selected`-rule benchmark's private board. The API's 409 (selection_limit, with
 * the runs already selected) is shown as it is.
 */
export function selectCommand(deps: CliDeps): Command {
  return new Command('select')
    .description("select a succeeded run for its benchmark's private board (benchmarks whose board rule is 'selected'); --remove takes it off")
    .argument('<id>', 'the run id')
    .option('--remove', 'unselect the run')
    .action(
      action(deps, async (ctx, id: string, opts: { remove?: boolean }) => {
        if (!RunId.safeParse(id).success) throw usageError(`${JSON.stringify(id)} is not a run id (they look like 01a21c4c-2675-7876-8c5f-439c69e7e79b)`);
        const path = `/v1/runs/${id}/selection`;
        const run = opts.remove ? await ctx.api.delete(path, RunView) : await ctx.api.post(path, {}, RunView);
        if (ctx.json) printJson(ctx, run);
        else ctx.term.out.write(`run ${run.id} (${run.name}) is ${run.selected ? 'selected' : 'not selected'} for benchmark ${run.benchmark}'s private board\n`);
        return EXIT.ok;
      }),
    );
}
