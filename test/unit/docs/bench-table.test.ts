import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type Results, newestFull, renderSection, tableIn } from '../../../bench/lib/readme-table';

const ROOT = resolve(__dirname, '../../..');

describe('bench/README.md: the published figures are generated', () => {
  const readme = readFileSync(join(ROOT, 'bench/README.md'), 'utf8');

  it('holds exactly the table npm run bench:readme renders from the newest full results file', () => {
    const at = tableIn(readme);
    assert.ok(at, 'bench/README.md has lost its bench:results markers');
    const file = newestFull(join(ROOT, 'bench/results'));
    const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
    assert.equal(
      readme.slice(at.start, at.end),
      renderSection(results, relative(ROOT, file)),
      `the table is not the render of ${relative(ROOT, file)}: run npm run bench:readme (and never edit it by hand)`,
    );
  });
});
