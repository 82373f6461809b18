import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import supertest from 'supertest';
import { type StartedApi, startApi } from '@modelrun/api';
import { loadApiConfig } from '@modelrun/config';
import type { RunView } from '@modelrun/contracts';
import { createReferenceVolume, removeVolume } from '../fixtures/benchmark';
import { buildPrivateFixtures } from '../fixtures/benchmark-private';
import { buildFixture, fixture } from '../fixtures/images';
import { buildWebApp, launchChromium, screenshotDir } from '../helpers/browser';
import { infra } from '../helpers/infra';
import { axeViolations, findLongNumbers, findOverflows } from '../helpers/layout-checks';
import { testLogger } from '../helpers/logger';
import { addUsers, signIn } from '../helpers/signed-in';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const ADMIN_TOKEN = randomBytes(24).toString('hex');
/** Model names run to 63 characters. */
const LONG = 'a-lucky-model-whose-public-score-does-not-hold-on-the-private-p';

/**
 * The benchmark board and run page of a season (issue 19), on a real stack: the pb-eval busybox
 * evaluator writes a public and a private part. `season` has two phases and the `selected` rule;
 * `revealed` has a private board revealed by its `revealAt`, long past. Time is driven by the
 * file: the runs of `development` are submitted through an API whose file has it open, then a
 * second API, on a file where `final` has opened, takes the final phase's run and serves the pages.
 */
function seasonFile(reference: string, t0: number, devEnd: number, finalStart: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'modelrun-benchmarks-')), 'benchmarks.yaml');
  const common = (name: string) => [
    `  - name: ${name}`,
    `    evaluator: { image: "${fixture('pb-eval')}", limits: { timeoutSeconds: 60 } }`,
    `    reference: { volume: ${reference} }`,
    '    metrics:',
    '      - { name: accuracy, direction: higher, description: share of items right }',
    '      - { name: error_rate, direction: lower }',
    '    primaryMetric: accuracy',
    '    model: { limits: { timeoutSeconds: 60 } }',
  ];
  const phases = [
    { name: 'development', start: iso(t0 - HOUR), end: iso(devEnd) },
    { name: 'final', start: iso(finalStart), end: iso(t0 + 3 * HOUR) },
  ];
  const yaml = [
    'benchmarks:',
    ...common('season'),
    '    board: { rule: selected, selectLimit: 2 }',
    '    phases:',
    ...phases.map((p) => `      - ${JSON.stringify(p)}`),
    ...common('revealed'),
    '    privateBoard: { revealAt: "2026-01-01T00:00:00Z" }',
  ];
  writeFileSync(path, `${yaml.join('\n')}\n`);
  return path;
}

describe("a benchmark's season in the web app: phases, the public and private boards, the reveal (issue 19)", function () {
  // Chromium's start and four two-step benchmark runs on the real engine, on a shared machine.
  this.timeout(90_000);
  let stack: Stack;
  let later: StartedApi;
  let url: string;
  let browser: Browser;
  const reference = `modelrun-test-ref-seasons-${process.pid}`;
  const tokens: Record<string, string> = { admin: ADMIN_TOKEN };
  const runs: Record<string, RunView> = {};
  const contexts: BrowserContext[] = [];
  /** Each page's console errors. */
  const watched: string[][] = [];

  before(async function () {
    this.timeout(150_000);
    buildWebApp();
    await infra();
    await buildPrivateFixtures();
    // The sample digits evaluator's figures, unrounded as a real evaluator writes them.
    await buildFixture('pb-season-digits', { script: 'echo "0.9866666666666667 0.9955555555555555" > "$OUTPUT_DIR/predictions.txt"' });
    await createReferenceVolume(reference);
    const t0 = Date.now();
    stack = await startStack({
      workers: 1,
      env: { BENCHMARKS_FILE: seasonFile(reference, t0, t0 + HOUR, t0 + 2 * HOUR), API_TOKENS: ADMIN_TOKEN, ALLOWED_IMAGES: 'modelrun-test/**', WORKER_CONCURRENCY: '3' },
    });
    Object.assign(
      tokens,
      await addUsers(stack, ADMIN_TOKEN, [
        { id: 'olga', role: 'operator' },
        { id: 'alice', role: 'member', team: 'red' },
      ]),
    );
    const submit = async (http: Stack['http'], key: string, image: string, name: string, benchmark: string) => {
      const res = await http
        .post('/v1/models')
        .set('Authorization', `Bearer ${tokens.alice}`)
        .send({ image: fixture(image), name, benchmark });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      runs[key] = res.body as RunView;
    };
    // public / private accuracy: lucky 0.9 / 0.5, steady 0.8 / 0.8, other 0.85 / 0.7.
    await submit(stack.http, 'lucky', 'pb-lucky', LONG, 'season');
    await submit(stack.http, 'steady', 'pb-steady', 'steady', 'season');
    await submit(stack.http, 'revealed', 'pb-steady', 'steady', 'revealed');
    await submit(stack.http, 'digits', 'pb-season-digits', 'digits-svc', 'revealed');
    const switchAt = Date.now();
    later = await startApi(loadApiConfig({ ...stack.env, BENCHMARKS_FILE: seasonFile(reference, t0, switchAt, switchAt) }), testLogger('api-later'));
    url = later.url;
    await submit(supertest(url), 'final', 'pb-other', 'late-entry', 'season');
    for (const [key, r] of Object.entries(runs)) {
      const end = await stack.waitForRun(r.id, undefined, 60_000);
      assert.equal(end.status, 'succeeded', JSON.stringify(end));
      runs[key] = end;
    }
    assert.deepEqual([runs.lucky!.benchmarkPhase, runs.final!.benchmarkPhase], ['development', 'final']);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await later?.close('test done');
    await stack?.stop();
    await removeVolume(reference);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    assert.deepEqual(watched.splice(0).flat(), [], 'console errors');
  });

  /** A signed-in page of `user`'s own browser. */
  const as = async (user: string, width = 1280): Promise<Page> => {
    const { context, page, errors } = await signIn(browser, url, tokens[user]!, width);
    contexts.push(context);
    watched.push(errors);
    return page;
  };
  const models = (page: Page) => page.locator('table.board tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model')));
  /** Waits for the board to list `expected`, in order (it polls; a switch re-fetches). */
  const boardIs = async (page: Page, expected: string[]) => {
    await waitFor(`the board to list ${expected.join(', ')}`, async () => (JSON.stringify(await models(page)) === JSON.stringify(expected) ? true : undefined), 10_000, 100);
  };
  const open = async (page: Page, path: string, ready: string) => {
    await page.goto(`${url}${path}`);
    await page.locator(ready).first().waitFor();
  };

  it('shows a member the public board only, the rule and the phase; the run page the phase, no private score', async () => {
    const page = await as('alice');
    await open(page, '/benchmarks/season', '.board-rule');
    await boardIs(page, [LONG, 'late-entry', 'steady']);
    assert.equal(await page.locator('.board-switch').count(), 0, 'no Public / Private switch before the reveal');
    assert.equal(await page.getByRole('button', { name: 'Reveal private board' }).count(), 0);
    assert.equal(await page.locator('.reveal-state').count(), 0, 'nothing about a board the member may not see');
    assert.match((await page.locator('.board-rule').textContent()) ?? '', /Ranks each model's best run \(the private board counts the runs its submitter selects\)/);

    // A link to the private board shows the API's words, and the way back.
    await open(page, '/benchmarks/season?board=private', '[role="alert"]');
    assert.match((await page.locator('[role="alert"]').textContent()) ?? '', /the private board is for operators and admins until it is revealed/);
    await page.getByRole('button', { name: 'Show the public board' }).click();
    await boardIs(page, [LONG, 'late-entry', 'steady']);
    // The browser logs the refused request itself; nothing else may be logged.
    const logged = watched.at(-1)!;
    const refused = logged.filter((e) => /status of 403/.test(e));
    assert.ok(refused.length >= 1, logged.join('\n'));
    logged.splice(0, logged.length, ...logged.filter((e) => !refused.includes(e)));

    await open(page, `/runs/${runs.lucky!.id}`, '.run-phase');
    assert.equal(await page.locator('.run-phase').textContent(), 'development');
    assert.equal(await page.locator('.run-selected').textContent(), 'No');
    assert.equal(await page.locator('.private-score').count(), 0, 'the API sends a member no private score before the reveal');
    assert.equal(await page.locator('table.private-metrics').count(), 0);
  });

  it('filters the board by phase with the phase selector', async () => {
    const page = await as('alice');
    await open(page, '/benchmarks/season', 'table.board tbody tr');
    const select = page.locator('select[name="phase"]');
    assert.deepEqual(await select.locator('option').allTextContents(), ['All phases', 'development', 'final (open)']);
    await select.selectOption('final');
    await boardIs(page, ['late-entry']);
    assert.match(page.url(), /phase=final/);
    await select.selectOption('development');
    await boardIs(page, [LONG, 'steady']);
    await select.selectOption('');
    await boardIs(page, [LONG, 'late-entry', 'steady']);
  });

  it("lets an operator switch to the private board, ranked by the private part, and shows them a run's private score", async () => {
    const page = await as('olga');
    await open(page, '/benchmarks/season', 'table.board tbody tr');
    assert.match((await page.locator('.reveal-state').textContent()) ?? '', /hidden Only operators and admins see the private board until an admin reveals it/);
    assert.equal(await page.getByRole('button', { name: 'Reveal private board' }).count(), 0, 'operators see it; only admins reveal it');
    await page.getByRole('button', { name: 'Private' }).click();
    await boardIs(page, ['steady', 'late-entry', LONG]);
    assert.equal(await page.getByRole('button', { name: 'Private' }).getAttribute('aria-pressed'), 'true');
    assert.match(page.url(), /board=private/);
    assert.match((await page.locator('.board-rule').textContent()) ?? '', /the runs each model's submitter selected \(up to 2; if none, its 2 best public runs\)/);
    assert.equal(await page.locator(`tr[data-model="${LONG}"] td.score data`).first().textContent(), '0.5000');

    await open(page, `/runs/${runs.lucky!.id}`, '.private-score');
    assert.equal(await page.locator('.private-score data').textContent(), '0.5000');
    assert.deepEqual(await page.locator('table.private-metrics tbody th').allTextContents(), ['accuracy', 'error_rate']);
    assert.equal(await page.locator('.run-phase').textContent(), 'development');
  });

  for (const width of [1280, 390]) {
    it(`fits the boards and a run's private part at ${width} px: nothing cut off or spilling, numbers rounded${width === 1280 ? ', no WCAG 2.1 AA violation' : ''}`, async () => {
      const page = await as('olga', width);
      const shots = screenshotDir();
      const problems: string[] = [];
      for (const [name, path, ready] of [
        ['season-private', '/benchmarks/season?board=private', 'table.board tbody tr'],
        ['season-final', '/benchmarks/season?phase=final', 'table.board tbody tr'],
        ['revealed', '/benchmarks/revealed?board=private', '[data-revealed="true"]'],
        ['run-private', `/runs/${runs.lucky!.id}`, 'table.private-metrics'],
      ] as const) {
        await open(page, path, ready);
        if (name === 'revealed') {
          // The digits figures, rounded to four decimals, the exact value on hover.
          await boardIs(page, ['digits-svc', 'steady']);
          const cell = page.locator('tr[data-model="digits-svc"] td.score data').first();
          assert.deepEqual([await cell.textContent(), await cell.getAttribute('title')], ['0.9956', '0.9955555555555555']);
        }
        await page.evaluate('document.fonts.ready.then(() => undefined)');
        // A phone scrolls a wide table sideways, by design (and a run's timeline).
        for (const o of await findOverflows(page, width < 640 ? ['.table-wrap', '.timeline'] : [])) problems.push(`${name}: ${o}`);
        for (const n of await findLongNumbers(page)) problems.push(`${name}: a number with more than four decimals: ${n}`);
        if (width === 1280) for (const v of await axeViolations(page)) problems.push(`${name}: ${v}`);
        await page.screenshot({ path: join(shots, `season-${name}-${width}.png`), fullPage: true });
      }
      assert.deepEqual(problems, []);
    });
  }

  it('lets an admin reveal the private board after a confirm step; a member then sees it, and the time it was revealed', async () => {
    const page = await as('admin');
    await open(page, '/benchmarks/season', '.reveal-state');
    await page.getByRole('button', { name: 'Reveal private board' }).click();
    const confirm = page.getByRole('alertdialog');
    assert.match((await confirm.textContent()) ?? '', /Reveal season's private board to everyone\? It cannot be hidden again\./);
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Cancel', "the keyboard's focus moves to the question");
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByRole('alertdialog').count(), 0);
    const before = await stack.http.get('/v1/benchmarks/season').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    assert.equal(before.body.privateBoard.revealed, false, 'Cancel reveals nothing');
    await page.getByRole('button', { name: 'Reveal private board' }).click();
    // The confirm step, as an admin sees it: named for axe, nothing spilling.
    assert.deepEqual(await findOverflows(page, []), []);
    assert.deepEqual(await axeViolations(page), []);
    await page.screenshot({ path: join(screenshotDir(), 'season-reveal-confirm-1280.png'), fullPage: true });
    await page.getByRole('alertdialog').getByRole('button', { name: 'Reveal to everyone' }).click();
    await page.locator('[data-revealed="true"]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Reveal private board' }).count(), 0);
    const after = await stack.http.get('/v1/benchmarks/season').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    assert.equal(after.body.privateBoard.revealed, true);

    const member = await as('alice');
    await open(member, '/benchmarks/season', '[data-revealed="true"]');
    assert.match((await member.locator('[data-revealed="true"]').textContent()) ?? '', /revealed The private board was revealed to everyone \S+/);
    await member.getByRole('button', { name: 'Private' }).click();
    await boardIs(member, ['steady', 'late-entry', LONG]);
    await open(member, `/runs/${runs.lucky!.id}`, '.private-score');
    assert.equal(await member.locator('.private-score data').textContent(), '0.5000', 'after the reveal the submitter sees its private score');
  });
});
