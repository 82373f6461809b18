/** One line of the results table: a figure next to its baseline, the ratio and the target. */
export interface Row {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  /** What the baseline is, e.g. "dockerode direct". */
  baselineName?: string;
  /** value / baseline, or for throughput-like figures value / baseline as well (higher is better there). */
  ratio?: number;
  /** Human target, e.g. ">= 0.9" or "< 10 ms". */
  target?: string;
  pass?: boolean;
  note?: string;
}

function fmt(v: number | undefined, unit = ''): string {
  if (v === undefined || Number.isNaN(v)) return '';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** Fixed-width text table, one row per figure; notes go underneath so the columns stay narrow. */
export function renderTable(title: string, rows: readonly Row[]): string {
  const head = ['bench', 'metric', 'modelrun', 'baseline', 'ratio', 'target', 'ok'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    fmt(r.value, r.unit),
    r.baseline === undefined ? '' : `${fmt(r.baseline, r.unit)}${r.baselineName ? ` (${r.baselineName})` : ''}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [title, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const notes = rows.filter((r) => r.note).map((r) => `  * ${r.bench} / ${r.metric}: ${r.note}`);
  if (notes.length) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

export { fmt as formatNumber };
