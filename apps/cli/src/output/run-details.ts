import type { DetailsFile, RunView } from '@modelrun/contracts';
import type { Context } from '../context';
import { printable } from './printable';
import { formatTable } from './table';

/** The evaluator's detailed results, each table under its title, numbers right-aligned. */
export function formatDetails(ctx: Context, details: DetailsFile): string {
  const tables = details.tables.map((t) => {
    const numeric = t.columns.map((_, i) => i).filter((i) => t.rows.length > 0 && t.rows.every((r) => r[i] === null || typeof r[i] === 'number'));
    const rows = t.rows.map((r) => r.map(cellText));
    return `${ctx.style.bold(printable(t.title))}\n${formatTable(
      t.columns.map((c) => printable(c)),
      rows,
      numeric,
    )}`;
  });
  const notes = (details.notes ?? []).map((n) => `note: ${printable(n)}\n`);
  return [...tables, notes.join('')].filter(Boolean).join('\n');
}

/** Why a run has no detailed results to show. */
export function noDetailsText(run: RunView): string {
  if (run.hasDetails && run.may?.readLogs === false) return "no detailed results shown: only the run's submitter, operators and admins see them\n";
  if (run.detailsError) return `no detailed results: ${printable(run.detailsError)}\n`;
  if (!run.benchmark) return 'no detailed results: only a benchmark run has them (its evaluator writes them)\n';
  return "no detailed results: the benchmark's evaluator wrote none for this run\n";
}

function cellText(cell: string | number | null): string {
  if (cell === null) return '';
  return typeof cell === 'number' ? String(cell) : printable(cell);
}
