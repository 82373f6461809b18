import { Command, Option } from 'commander';
import { BenchmarkLeaderboard, BenchmarkList, BenchmarkName } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { printJson } from '../context';
import { EXIT, usageError } from '../errors';
import { ago, score } from '../output/format';
import { formatTable } from '../output/table';
import { page } from './models';
import { formatPhases } from '../output/phases';
import { shortDigest } from '../output/score-history';

export function benchmarksCommand(deps: CliDeps): Command {
  return new Command('benchmarks').description('the benchmarks: their metrics (and which way is better), primary metric and quotas').action(
    action(deps, async (ctx) => {
      const res = await ctx.api.get('/v1/benchmarks', BenchmarkList);
      if (ctx.json) {
        printJson(ctx, res);
        return EXIT.ok;
      }
      if (res.benchmarks.length === 0) {
        ctx.term.out.write('no benchmarks on this deployment (BENCHMARKS_FILE)\n');
        return EXIT.ok;
      }
      for (const b of res.benchmarks) {
        const quotas = [b.quotas.perDay && `${b.quotas.perDay} a day`, b.quotas.concurrent && `${b.quotas.concurrent} at once`].filter(Boolean).join(', ') || 'none';
        ctx.term.out.write(`${ctx.style.bold(b.name)}${b.description ? `: ${b.description}` : ''}\n  quotas: ${quotas}\n`);
        ctx.term.out.write(formatPhases(b));
        ctx.term.out.write(
          formatTable(
            ['  METRIC', 'BETTER', 'DESCRIPTION'],
            b.metrics.map((m) => [`  ${m.name}${m.name === b.primaryMetric ? ' (primary)' : ''}`, m.direction, m.description ?? '']),
          ),
        );
      }
      return EXIT.ok;
    }),
  );
}

export function leaderboardCommand(deps: CliDeps): Command {
  return new Command('leaderboard')
    .description("a benchmark's leaderboard: each model's best run by the primary metric, every metric a column")
    .argument('<benchmark>', 'the benchmark name')
    .option('--sort <metric>', 'sort by this metric, in its own direction (default: the primary metric)')
    .addOption(new Option('--order <order>', 'best or worst first').choices(['best', 'worst']))
    .option('--limit <n>', 'models per page (1-500, default 50)')
    .option('--offset <n>', 'models to skip')
    .option('--phase <name>', 'only the runs submitted in this phase of the benchmark')
    .action(
      action(deps, async (ctx, benchmark: string, opts: { sort?: string; order?: string; limit?: string; offset?: string; phase?: string }) => {
        if (!BenchmarkName.safeParse(benchmark).success) throw usageError(`${JSON.stringify(benchmark)} is not a benchmark name`);
        const q = new URLSearchParams(page(opts));
        if (opts.sort) q.set('sort', opts.sort);
        if (opts.order) q.set('order', opts.order);
        if (opts.phase) q.set('phase', opts.phase);
        const res = await ctx.api.get(`/v1/benchmarks/${benchmark}/leaderboard?${q}`, BenchmarkLeaderboard);
        if (ctx.json) {
          printJson(ctx, res);
          return EXIT.ok;
        }
        if (res.entries.length === 0) {
          ctx.term.out.write(
            res.total === 0 ? `no scored runs on ${benchmark} yet: modelrun submit IMAGE --name NAME --benchmark ${benchmark}\n` : `no models at offset ${res.offset} (${res.total} in all)\n`,
          );
          return EXIT.ok;
        }
        const metrics = res.benchmark.metrics.map((m) => m.name);
        const header = ['#', 'MODEL', ...metrics.map((m) => `${m}${m === res.sort ? (res.order === 'best' ? ' *' : ' * (worst first)') : ''}`), 'RUNS', 'BEST RUN', 'SUBMITTED'];
        const rows = res.entries.map((e) => [String(e.rank), e.name, ...metrics.map((m) => score(e.metrics[m])), String(e.scoredRuns), e.bestRun.id, ago(e.bestRun.createdAt)]);
        // Issue 19: a column saying which rows an older evaluator scored, only when some did.
        const older = res.entries.some((e) => e.olderEvaluator);
        if (older) {
          header.push('EVALUATOR');
          res.entries.forEach((e, i) => rows[i]!.push(e.olderEvaluator ? `older ${shortDigest(e.bestRun.evaluatorImage)}` : 'current'));
        }
        ctx.term.out.write(formatTable(header, rows, [0, ...metrics.map((_, i) => i + 2), metrics.length + 2]));
        if (older) ctx.term.out.write(`older: scored by an older evaluator than the current ${shortDigest(res.currentEvaluator)}; modelrun rescore --benchmark ${benchmark} to update\n`);
        if (res.total > res.entries.length) ctx.term.out.write(`${res.offset + 1}-${res.offset + res.entries.length} of ${res.total} models (--offset for more)\n`);
        return EXIT.ok;
      }),
    );
}
