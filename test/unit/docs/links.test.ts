import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { anchorsOf, brokenLinks, githubSlug, isExternal, linksOf, markdownUnder } from './markdown-links';

const ROOT = resolve(__dirname, '../../..');

/** The documentation a reader follows links through. */
function documents(): string[] {
  return ['README.md', 'ARCHITECTURE.md', 'bench/README.md', ...markdownUnder(ROOT, 'docs'), ...markdownUnder(ROOT, 'model').filter((f) => f.endsWith('README.md'))];
}

describe('documentation links', () => {
  it('every relative link and #anchor resolves to a file and heading of the repository', () => {
    const anchors = new Map<string, Set<string>>();
    const broken = documents().flatMap((f) => brokenLinks(ROOT, f, anchors));
    assert.equal(broken.length, 0, `broken links:\n${broken.map((b) => `  ${b.file}:${b.line} (${b.target}): ${b.why}`).join('\n')}`);
  });

  it('lists the external links (not fetched: the tests need no network)', function () {
    const external = documents().flatMap((f) =>
      linksOf(readFileSync(join(ROOT, f), 'utf8'))
        .filter((l) => isExternal(l.target) && !l.target.startsWith('mailto:'))
        .map((l) => `${f}:${l.line} ${l.target}`),
    );
    for (const e of external) assert.match(e.split(' ')[1]!, /^https?:\/\/[^/\s]+/, `not an http(s) link: ${e}`);
    if (process.env.MODELRUN_TEST_LOGS) process.stdout.write(`external links:\n${external.map((e) => `  ${e}`).join('\n')}\n`);
  });

  it('covers the README, ARCHITECTURE.md, docs/, bench/README.md and model/README.md', () => {
    const docs = documents();
    for (const f of ['README.md', 'ARCHITECTURE.md', 'bench/README.md', 'model/README.md', 'docs/security.md']) {
      assert.ok(docs.includes(f), `${f} is not checked`);
    }
  });
});

describe('githubSlug: a heading to its anchor, as GitHub makes it', () => {
  const table: Array<[string, string]> = [
    ['Quick start', 'quick-start'],
    ['Runs: life cycle and failure reasons', 'runs-life-cycle-and-failure-reasons'],
    ['Guarantees: crashes, restarts, retries', 'guarantees-crashes-restarts-retries'],
    ['One container per run, across engines: owners and leases', 'one-container-per-run-across-engines-owners-and-leases'],
    ['WORKER_GPUS and RUN_GPUS_MAX', 'worker_gpus-and-run_gpus_max'],
    ['POST → score visible', 'post--score-visible'],
    ['Ünïcode Über 2', 'ünïcode-über-2'],
  ];
  for (const [heading, slug] of table) it(`${heading} → #${slug}`, () => assert.equal(githubSlug(heading), slug));

  it('unwraps code and links, numbers repeats, ignores code blocks', () => {
    const md = ['# The `modelrun` [CLI](x.md)', '## Notes', '## Notes', '```sh', '# not a heading', '```', '<a id="explicit"></a>'].join('\n');
    assert.deepEqual([...anchorsOf(md)].sort(), ['explicit', 'notes', 'notes-1', 'the-modelrun-cli']);
  });
});

describe('linksOf and brokenLinks', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'modelrun-links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'a.md'), '# A\n## Where state lives\n');
    writeFileSync(join(root, 'code.ts'), 'export {};\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finds inline links, images and definitions, not code', () => {
    const md = 'See [a](docs/a.md) and ![pic](p.png "t"), `[no](link.md)`.\n[ref]: docs/a.md#a\n```\n[no](x.md)\n```\n<https://example.com/x>';
    assert.deepEqual(
      linksOf(md).map((l) => [l.target, l.line]),
      [
        ['docs/a.md', 1],
        ['p.png', 1],
        ['docs/a.md#a', 2],
        ['https://example.com/x', 6],
      ],
    );
  });

  it('reports every missing file and heading, and accepts what exists', () => {
    writeFileSync(
      join(root, 'README.md'),
      [
        '# Top',
        '[ok](docs/a.md#where-state-lives) [ok](#top) [ok](code.ts#L3) [ok](docs/) [ok](https://example.com/none)',
        '[gone](docs/b.md) [no heading](docs/a.md#nowhere) [no local](#bottom) [not a line](code.ts#top) [out](../x.md)',
      ].join('\n'),
    );
    assert.deepEqual(
      brokenLinks(root, 'README.md').map((b) => [b.target, b.line]),
      [
        ['docs/b.md', 3],
        ['docs/a.md#nowhere', 3],
        ['#bottom', 3],
        ['code.ts#top', 3],
        ['../x.md', 3],
      ],
    );
  });
});
