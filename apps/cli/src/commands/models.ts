import { Command, Option } from 'commander';
import { ModelDetail, ModelName, ModelPage } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { printJson } from '../context';
import { EXIT, usageError } from '../errors';
import { ago, elapsed, score, statusText } from '../output/format';
import { formatTable } from '../output/table';

const SORTS = ['score', 'name', 'latest', 'runs'];

/** `limit` and `offset` from the flags, as a query string; a flag that is not a whole number is a usage error. */
export function page(opts: { limit?: string; offset?: string }): string {
  const q = new URLSearchParams();
  for (const key of ['limit', 'offset'] as const) {
    const v = opts[key];
    if (v === undefined) continue;
    if (!/^\d+$/.test(v)) throw usageError(`--${key} ${v}: must be a whole number`);
    q.set(key, v);
  }
  return q.toString();
}

export function modelsCommand(deps: CliDeps): Command {
  return new Command('models')
    .description('the leaderboard: every model, its best score and latest run')
    .addOption(new Option('--sort <by>', 'order by').choices(SORTS).default('score'))
    .addOption(new Option('--order <dir>', 'asc or desc (default: asc for name, else desc)').choices(['asc', 'desc']))
    .option('--limit <n>', 'models per page (1-500, default 50)')
    .option('--offset <n>', 'models to skip')
    .action(
      action(deps, async (ctx, opts: { sort: string; order?: string; limit?: string; offset?: string }) => {
        const q = new URLSearchParams(page(opts));
        q.set('sort', opts.sort);
        if (opts.order) q.set('order', opts.order);
        const res = await ctx.api.get(`/v1/models?${q}`, ModelPage);
        if (ctx.json) {
          printJson(ctx, res);
          return EXIT.ok;
        }
        if (res.models.length === 0) {
          ctx.term.out.write(res.total === 0 ? 'no models yet: modelrun submit IMAGE --name NAME\n' : `no models at offset ${res.offset} (${res.total} in all)\n`);
          return EXIT.ok;
        }
        const rows = res.models.map((m, i) => [String(res.offset + i + 1), m.name, score(m.bestScore), String(m.runCount), statusText(m.latestRun), ago(m.latestRun.createdAt), m.latestRun.id]);
        ctx.term.out.write(formatTable(['#', 'MODEL', 'BEST', 'RUNS', 'LATEST', 'SUBMITTED', 'LATEST RUN'], rows, [0, 2, 3]));
        if (res.total > res.models.length) ctx.term.out.write(`${res.offset + 1}-${res.offset + res.models.length} of ${res.total} models (--offset for more)\n`);
        return EXIT.ok;
      }),
    );
}

export function modelCommand(deps: CliDeps): Command {
  return new Command('model')
    .description('one model: its best score and its runs, newest first')
    .argument('<name>', 'the model name')
    .option('--limit <n>', 'runs to show (1-1000, default 100)')
    .option('--offset <n>', 'runs to skip')
    .action(
      action(deps, async (ctx, name: string, opts: { limit?: string; offset?: string }) => {
        if (!ModelName.safeParse(name).success) throw usageError(`${JSON.stringify(name)} is not a model name (1-63 of a-z 0-9 . _ -)`);
        const q = page(opts);
        const m = await ctx.api.get(`/v1/models/${name}${q ? `?${q}` : ''}`, ModelDetail);
        if (ctx.json) {
          printJson(ctx, m);
          return EXIT.ok;
        }
        const best = m.bestRun ? `${score(m.bestScore)} (run ${m.bestRun.id})` : 'none yet (no run succeeded)';
        ctx.term.out.write(`${ctx.style.bold(m.name)}: ${m.runCount} run${m.runCount === 1 ? '' : 's'}, best score ${best}\n\n`);
        const rows = m.runs.map((r) => [r.id, statusText(r), score(r.score), ago(r.createdAt), elapsed(r) ?? '-', r.image]);
        ctx.term.out.write(formatTable(['RUN', 'STATUS', 'SCORE', 'SUBMITTED', 'TOOK', 'IMAGE'], rows, [2]));
        if (m.runCount > m.offset + m.runs.length) ctx.term.out.write(`runs ${m.offset + 1}-${m.offset + m.runs.length} of ${m.runCount} (--offset for more)\n`);
        return EXIT.ok;
      }),
    );
}
