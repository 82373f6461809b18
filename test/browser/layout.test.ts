import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type RunRecord, type RunView, runIdAt } from '@modelrun/contracts';
import { benchmarkMetrics, failedEveryTryRecord, sampleModelMetrics, succeededRecord } from '../fixtures/records';
import { buildWebApp, launchChromium, screenshotDir, watchConsole } from '../helpers/browser';
import { axeViolations, findLongNumbers, findOverflows } from '../helpers/layout-checks';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

/** The widths every page is checked at: a phone, a laptop, a wide screen. */
const WIDTHS = [375, 1280, 1600] as const;
/** Long names, as people give them (63 characters is the most a model name may have). */
const LONG = 'digits-svm-rbf-with-a-cross-validated-grid-of-c-and-gamma-v2026';
const BENCH_ONLY = 'benchmark-only-model-that-never-scores-itself';
const BENCHMARK = 'handwritten-digits-with-a-long-name';
const UNPULLABLE = '127.0.0.1:1/team/a-model-whose-image-cannot-be-pulled:1.0';
const DAY = 86_400_000;

/**
 * The data a real user produces: the sample model's dozen metrics over several runs, a
 * benchmark with four metrics and a model scored only by it, a failed run, a run that failed on
 * every try, a run that succeeded on its second, all with long names; written as the workers
 * would write their records, so the API's index reads them at start.
 */
function writeRecords(dataDir: string, now: number): Record<string, RunRecord> {
  const at = (days: number) => now - days * DAY;
  const runs: Record<string, RunRecord> = {};
  const scores = [0.9711111111111111, 0.9822222222222222, 0.9777777777777777, 0.9866666666666667, 0.9911111111111112];
  scores.forEach((s, i) => {
    runs[`sample-${i}`] = succeededRecord(LONG, at(5 - i), { score: s, metrics: sampleModelMetrics(s), durationMs: 12_345 + i, startedAt: new Date(at(5 - i)).toISOString() });
  });
  runs.failed = succeededRecord(LONG, at(0.5), {
    status: 'failed',
    reason: 'exit_code',
    exitCode: 3,
    error: 'the model exited with code 3: Traceback (most recent call last): FileNotFoundError: [Errno 2] No such file or directory: /input/training-data-that-is-not-there.csv',
  });
  runs.secondTry = succeededRecord(LONG, at(0.4), {
    score: 0.9888888888888889,
    metrics: sampleModelMetrics(0.9888888888888889),
    attempts: 2,
    attemptErrors: [{ attempt: 1, at: new Date(at(0.41)).toISOString(), message: 'the Docker engine went away while the run was starting; it is retried on another try' }],
  });
  runs.everyTry = failedEveryTryRecord(LONG, at(0.3), 5);
  [0.9533333333333333, 0.9644444444444445, 0.9733333333333334].forEach((a, i) => {
    runs[`bench-${i}`] = succeededRecord(LONG, at(4 - i), { benchmark: BENCHMARK, score: a, metrics: benchmarkMetrics(a) });
  });
  runs.benchOnly = succeededRecord(BENCH_ONLY, at(1), { benchmark: BENCHMARK, score: 0.9422222222222222, metrics: benchmarkMetrics(0.9422222222222222) });
  for (const r of Object.values(runs)) {
    mkdirSync(join(dataDir, 'runs', r.name), { recursive: true });
    mkdirSync(join(dataDir, 'logs', r.name), { recursive: true });
    writeFileSync(join(dataDir, 'runs', r.name, `${r.id}.json`), JSON.stringify(r));
    writeFileSync(join(dataDir, 'logs', r.name, `${r.id}.log`), 'loading digits\nheld-out accuracy 0.9911, macro F1 0.9907\n');
  }
  return runs;
}

/** A benchmark with four metrics, one of them lower-is-better, and model limits of its own. */
function writeBenchmarks(dir: string): string {
  const path = join(dir, 'benchmarks.yaml');
  writeFileSync(
    path,
    [
      'benchmarks:',
      `  - name: ${BENCHMARK}`,
      "    description: scikit-learn's 8x8 handwritten digits, the stratified 25 % test split; write predictions.csv with one label per test image.",
      '    evaluator: { image: "modelrun-test/never-run-evaluator:1" }',
      '    reference: { volume: modelrun-test-layout-reference }',
      '    metrics:',
      '      - { name: accuracy, direction: higher, description: share of test images classified right }',
      '      - { name: f1_macro, direction: higher }',
      '      - { name: error_rate, direction: lower }',
      '      - { name: mean_confidence, direction: higher }',
      '    primaryMetric: accuracy',
      '    model: { limits: { timeoutSeconds: 300, memoryMb: 1024, cpus: 1 } }',
      '',
    ].join('\n'),
  );
  return path;
}

interface Shown {
  name: string;
  path: string;
  /** What is on the page once its data is in. */
  ready: string;
  /** Console errors the page is expected to log (the 404 of a run that does not exist). */
  expectErrors?: RegExp;
}

describe('every page at phone, laptop and wide widths, with realistic data', function () {
  // Chromium's start, then 13 pages at 3 widths (axe on each at 1280), on a shared machine.
  this.timeout(240_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dataDir: string;
  let shots: string;
  let runs: Record<string, RunRecord>;
  let retrying: RunView;
  let pages: Shown[];

  before(async () => {
    buildWebApp();
    shots = screenshotDir();
    dataDir = mkdtempSync(join(tmpdir(), 'modelrun-layout-'));
    runs = writeRecords(dataDir, Date.now());
    // A minute's backoff: the unpullable image's run stays "waiting to retry" while the pages are looked at.
    stack = await startStack({ env: { DATA_DIR: dataDir, BENCHMARKS_FILE: writeBenchmarks(dataDir), RUN_ATTEMPTS: '5', RUN_BACKOFF_MS: '60000' } });
    const submitted = await stack.submit(UNPULLABLE, 'a-model-that-is-retried-while-its-registry-is-down');
    // 30 s: the first try's pull, refused at once, then the worker's record of the failed try.
    retrying = await waitFor(
      'the run to wait for its second try',
      async () => {
        const v = (await stack.http.get(`/v1/runs/${submitted.id}`)).body as RunView;
        return v.status === 'queued' && v.attemptErrors?.length === 1 && v.nextAttemptAt ? v : undefined;
      },
      30_000,
    );
    pages = [
      { name: 'leaderboard', path: '/', ready: `tr[data-model="${BENCH_ONLY}"]` },
      { name: 'model', path: `/models/${LONG}`, ready: '[data-kind="self"] .chart-box canvas' },
      { name: 'model-benchmark-only', path: `/models/${BENCH_ONLY}`, ready: '.chart-box canvas' },
      { name: 'run', path: `/runs/${runs['sample-4']!.id}`, ready: 'table.metrics' },
      { name: 'run-benchmark', path: `/runs/${runs['bench-2']!.id}`, ready: 'table.metrics' },
      { name: 'run-failed', path: `/runs/${runs.failed!.id}`, ready: '.failure' },
      { name: 'run-second-try', path: `/runs/${runs.secondTry!.id}`, ready: '.attempts' },
      { name: 'run-every-try-failed', path: `/runs/${runs.everyTry!.id}`, ready: '.attempts' },
      { name: 'run-retrying', path: `/runs/${retrying.id}`, ready: '.retry' },
      { name: 'run-missing', path: `/runs/${runIdAt(Date.now() - DAY)}`, ready: '[role="alert"]', expectErrors: /status of 404/ },
      { name: 'submit', path: '/submit', ready: '[data-limit="memoryMb"]' },
      { name: 'benchmarks', path: '/benchmarks', ready: `[data-benchmark="${BENCHMARK}"]` },
      { name: 'benchmark-board', path: `/benchmarks/${BENCHMARK}`, ready: `tr[data-model="${BENCH_ONLY}"]` },
      { name: 'docs', path: '/docs', ready: '.opblock-summary-path' },
    ];
    browser = await launchChromium();
    // The app's CSP admits only its own scripts; the context lets the test add axe-core.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    page = await context.newPage();
    errors = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (!process.env.UPDATE_SCREENSHOTS && shots) rmSync(shots, { recursive: true, force: true });
  });
  afterEach(() => {
    assert.deepEqual(errors.splice(0), [], 'console errors');
  });

  const open = async (p: Shown) => {
    await page.goto(`${stack.api.url}${p.path}`);
    await page.locator(p.ready).first().waitFor({ timeout: 20_000 });
    // Fonts settle before anything is measured (live pages poll, so the network never idles).
    await page.evaluate('document.fonts.ready.then(() => undefined)');
  };
  /** The README's screenshots: these pages at these widths (all of them in a temp folder otherwise). */
  const README_SHOTS = new Set(['leaderboard-1280', 'model-1280', 'run-1280', 'run-retrying-1280', 'submit-1280', 'benchmark-board-1280', 'run-375']);
  const shot = async (name: string) => {
    if (process.env.UPDATE_SCREENSHOTS === '1' && !README_SHOTS.has(name)) return;
    // LAYOUT_SHOTS=<folder>: every page at every width, to look at.
    if (process.env.LAYOUT_SHOTS) await page.screenshot({ path: join(process.env.LAYOUT_SHOTS, `${name}.png`), fullPage: true });
    const height = Math.max(420, ((await page.evaluate('document.body.scrollHeight')) as number) + 24);
    await page.screenshot({ path: join(shots, `${name}.png`), clip: { x: 0, y: 0, width: page.viewportSize()!.width, height }, fullPage: true });
  };

  for (const width of WIDTHS) {
    it(`fits every page at ${width} px: nothing cut off or spilling, numbers rounded${width === 1280 ? ', no WCAG 2.1 AA violation' : ''}`, async () => {
      await page.setViewportSize({ width, height: 900 });
      const problems: string[] = [];
      for (const p of pages) {
        await open(p);
        // A phone scrolls a wide table sideways, by design; a laptop or wider fits it.
        const scrollers = width < 640 ? ['.table-wrap', '.timeline'] : [];
        if (p.name === 'docs') scrollers.push('#docs');
        for (const o of await findOverflows(page, scrollers)) problems.push(`${p.name}: ${o}`);
        for (const n of await findLongNumbers(page)) problems.push(`${p.name}: a number with more than four decimals: ${n}`);
        if (width === 1280 && p.name !== 'docs') for (const v of await axeViolations(page)) problems.push(`${p.name}: ${v}`);
        const logged = errors.splice(0);
        for (const e of logged) if (!p.expectErrors?.test(e)) problems.push(`${p.name}: console: ${e}`);
        await shot(`${p.name}-${width}`);
      }
      assert.deepEqual(problems, []);
    });
  }

  // What each page says, at a laptop's width: each test guards one of issue 24's points.
  const at1280 = () => page.setViewportSize({ width: 1280, height: 900 });
  const byName = (n: string) => pages.find((p) => p.name === n)!;

  it("rounds the sample model's metrics for reading, with the exact value on hover", async () => {
    await at1280();
    await open(byName('run'));
    const cell = (metric: string) => page.locator('table.metrics tr', { has: page.locator(`th:text-is("${metric}")`) }).locator('td data');
    assert.equal(await cell('n_train').textContent(), '1,347');
    assert.equal(await cell('n_support_vectors').textContent(), '553');
    assert.equal(await cell('accuracy').textContent(), '0.9911');
    assert.equal(await cell('accuracy').getAttribute('title'), '0.9911111111111112');
    assert.equal(await cell('best_svm_gamma').getAttribute('value'), '0.000694444444444');
  });

  it("names a benchmark run's benchmark, and keeps a model's benchmark runs apart from its own", async () => {
    await open(byName('run-benchmark'));
    assert.match((await page.locator('.benchmark-tag').textContent()) ?? '', new RegExp(`Benchmark ${BENCHMARK}`));
    await open(byName('model'));
    assert.equal(await page.locator('[data-kind="self"] table.runs tbody tr').count(), 8);
    assert.equal(await page.locator(`[data-kind="benchmark:${BENCHMARK}"] table.runs tbody tr`).count(), 3);
    assert.equal(await page.locator(`[data-kind="benchmark:${BENCHMARK}"] th.num`).first().textContent(), 'accuracy', "the benchmark's score is its primary metric");
  });

  it("says on the leaderboard where a benchmark-only model's scores are", async () => {
    await open(byName('leaderboard'));
    const cell = page.locator(`tr[data-model="${BENCH_ONLY}"] td.score a`);
    assert.equal(await cell.getAttribute('href'), `/benchmarks/${BENCHMARK}`);
    assert.equal(await cell.textContent(), `on ${BENCHMARK} →`);
  });

  it('shows a retry as what it is: which try, why the last failed, when the next starts', async () => {
    assert.equal(retrying.maxAttempts, 5, 'the API view says how many tries a run may have');
    assert.ok(Date.parse(retrying.nextAttemptAt!) > Date.parse(retrying.attemptErrors![0]!.at), 'and when the next starts');
    await open(byName('run-retrying'));
    assert.match((await page.locator('.retry strong').textContent()) ?? '', /^Try (\d) of 5 (failed; try \d starts (in about \d+ s|when a worker is free)|is running; try \d failed)$/);
    assert.match((await page.locator('.retry p').textContent()) ?? '', /^Why it failed: .*connection refused/);
    assert.doesNotMatch((await page.locator('.run-status .badge').textContent()) ?? '', /^Queued$/);
    await open(byName('run-every-try-failed'));
    assert.equal(await page.locator('.attempts summary').textContent(), 'All 5 tries failed');
    await open(byName('run-second-try'));
    assert.equal(await page.locator('.attempts summary').textContent(), '1 try failed before try 2');
  });

  it('shows the error of a run that does not exist, and no endless "Loading…"', async () => {
    await open(byName('run-missing'));
    assert.match((await page.locator('[role="alert"]').textContent()) ?? '', /no run/);
    assert.equal(await page.getByText('Loading…').count(), 0);
    assert.equal(errors.splice(0).filter((e) => !/status of 404/.test(e)).length, 0);
  });

  it('charts a model on an axis that fits its scores, names the newest before hovering, and charts any metric', async () => {
    await open(byName('model'));
    const chart = page.locator('[data-kind="self"] .chart-box');
    const [lo, hi] = [Number(await chart.getAttribute('data-y-min')), Number(await chart.getAttribute('data-y-max'))];
    assert.ok(lo > 0.95 && hi <= 1, `the axis runs ${lo} to ${hi} for scores of 0.97 to 0.99`);
    const legend = (await page.locator('[data-kind="self"] .u-legend').textContent()) ?? '';
    assert.match(legend, /#6 \(newest\)/);
    assert.match(legend, /0\.9889/);
    await page.locator('#metric-self').selectOption('n_train');
    await page.locator('[data-kind="self"] .chart-box[aria-label="n_train over 6 runs"]').waitFor();
    await page.locator('[data-kind="self"] .u-legend', { hasText: '1,347' }).waitFor();
  });

  it("says each limit's default and ceiling, takes a benchmark's limits, and shows every problem beside its field", async () => {
    await open(byName('submit'));
    assert.match((await page.locator('[data-limit="memoryMb"]').textContent()) ?? '', /^Default \d+ MiB, at most \d+ MiB\.$/);
    await page.getByLabel('Memory').fill('99999999');
    await page.getByRole('button', { name: 'Submit run' }).click();
    const errorOf = (field: string) => page.locator(`[id="err-${field}"]`);
    await errorOf('image').waitFor();
    assert.equal(await page.locator('.field-error').count(), 3, 'image, name and memory at once');
    assert.match((await errorOf('limits.memoryMb').textContent()) ?? '', /^Memory can be at most \d+ MiB here\.$/);
    assert.equal(await page.getByLabel('Image').getAttribute('aria-invalid'), 'true');
    // Problems only the API sees come back beside their fields too, in the form's words.
    await page.getByLabel('Image').fill('team//model:1');
    await page.getByLabel('Model name').fill('fine-name');
    await page.getByLabel('Memory').fill('');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await errorOf('image')
      .filter({ hasText: /^Image: / })
      .waitFor();
    assert.equal(await page.locator('.field-error').count(), 1);
    errors.splice(0).forEach((e) => assert.match(e, /status of 400/));
    await page.getByLabel('Benchmark').selectOption(BENCHMARK);
    assert.ok(await page.getByLabel('Memory').isDisabled());
    assert.equal(await page.getByLabel('Memory').inputValue(), '1024');
    assert.match((await page.locator('.intro').textContent()) ?? '', new RegExp(`A run of benchmark ${BENCHMARK}`));
  });

  it('links the API reference back to the app', async () => {
    await open(byName('docs'));
    await page.locator('.docs-top a', { hasText: 'Leaderboard' }).click();
    await page.waitForURL(`${stack.api.url}/`);
  });

  it('lists in Bull Board only the queues this deployment uses', async () => {
    const res = await stack.http.get('/admin/queues/api/queues');
    assert.equal(res.status, 200);
    const names = (res.body.queues as { name: string }[]).map((q) => q.name).sort();
    assert.ok(names.includes('runs') && !names.includes('runs-gpu'), `GPUs are off here: ${names.join(', ')}`);
  });
});
