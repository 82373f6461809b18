/**
 * npm run bench:readme [-- bench/results/<file>.json]
 *
 * Rewrites the Performance table in bench/README.md (between the bench:results markers) from
 * one committed results file: the newest full run in bench/results/ unless one is named. The
 * published figures thus always come from a run whose whole output is in the repository.
 * Other docs link to that table rather than copy its figures, so they cannot go stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { END, type Results, START, newestFull, renderSection, tableIn } from './lib/readme-table';

function main(): void {
  const root = resolve(__dirname, '..');
  const arg = process.argv[2];
  const path = arg ? resolve(arg) : newestFull(join(__dirname, 'results'));
  const results = JSON.parse(readFileSync(path, 'utf8')) as Results;
  const readmePath = join(__dirname, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const at = tableIn(readme);
  if (!at) throw new Error(`bench/README.md has no ${START.slice(0, 24)} … ${END} markers around its table`);
  const section = renderSection(results, relative(root, path));
  writeFileSync(readmePath, readme.slice(0, at.start) + section + readme.slice(at.end));
  process.stdout.write(`bench/README.md: Performance table from ${basename(path)} (${results.rows.length} rows)\n`);
}

main();
