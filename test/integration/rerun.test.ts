import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry, Role, RunView } from '@modelrun/contracts';
import type { Test } from 'supertest';
import { explain, modelrun } from '../helpers/cli';
import { infra } from '../helpers/infra';
import { type Stack, startStack } from '../helpers/stack';
import { buildFixtures, fixture } from '../fixtures/images';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';

const ADMIN_TOKEN = randomBytes(24).toString('hex');

/**
 * POST /v1/runs/{id}/rerun (issue 18, issue 19): operators and admins run a finished run again,
 * as its submitter's, outside their quota, audited; members and viewers may not. The pinned
 * digest a re-run runs is proven against a registry in image-provenance.test.ts.
 */
describe('re-running a run', function () {
  // A handful of benchmark runs (two containers each, a few seconds) and two CLI starts.
  this.timeout(90_000);
  let stack: Stack;
  let reference: string;
  const tokens: Record<string, string> = {};
  const as = (user: string) => (t: Test) => t.set('Authorization', `Bearer ${user === 'admin' ? ADMIN_TOKEN : tokens[user]}`);
  const submit = (user: string, image: string, benchmark?: string) => as(user)(stack.http.post('/v1/models')).send({ image: fixture(image), name: 'again', ...(benchmark && { benchmark }) });
  const rerun = (user: string, id: string) => as(user)(stack.http.post(`/v1/runs/${id}/rerun`));
  const done = (id: string): Promise<RunView> => stack.waitForRun(id, undefined, 60_000);
  let original: RunView;

  before(async function () {
    this.timeout(120_000);
    await infra();
    await buildFixtures();
    await buildBenchmarkFixtures();
    reference = `modelrun-test-ref-rerun-${process.pid}`;
    await createReferenceVolume(reference);
    // Two counted a day, one at a time: a re-run that counted would be refused at once.
    const file = writeBenchmarksFile(reference, [{ name: 'rq', evaluator: 'bm-eval', quotas: { perDay: 2, concurrent: 1 } }]);
    stack = await startStack({ env: { API_TOKENS: ADMIN_TOKEN, BENCHMARKS_FILE: file, WORKER_CONCURRENCY: '3' } });
    const admin = as('admin');
    assert.equal((await admin(stack.http.post('/v1/teams')).send({ id: 'red' })).status, 201);
    const people: [string, Role, string?][] = [
      ['olga', 'operator'],
      ['alice', 'member', 'red'],
      ['bob', 'member', 'red'],
      ['vic', 'viewer', 'red'],
    ];
    for (const [id, role, team] of people) {
      assert.equal((await admin(stack.http.post('/v1/users')).send({ id, role, ...(team && { team }) })).status, 201);
      const token = await admin(stack.http.post('/v1/tokens')).send({ user: id, name: 'test' });
      tokens[id] = token.body.token as string;
    }
    const sub = await submit('alice', 'bm-honest', 'rq');
    assert.equal(sub.status, 202, JSON.stringify(sub.body));
    original = await done(sub.body.id as string);
    assert.equal(original.status, 'succeeded', JSON.stringify(original));
  });
  after(async () => {
    await stack?.stop();
    if (reference) await removeVolume(reference);
  });

  it("an operator re-runs a member's benchmark run: the same name, benchmark and limits, the member's run, outside their quota, audited", async () => {
    const first = await rerun('olga', original.id);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const queued = first.body as RunView;
    assert.notEqual(queued.id, original.id);
    assert.equal(queued.rerunOf, original.id);
    assert.equal(queued.requestedBy, 'olga');
    assert.deepEqual(queued.submittedBy, { user: 'alice', team: 'red' }, "the original submitter's run");
    assert.equal(queued.name, original.name);
    assert.equal(queued.benchmark, 'rq');
    assert.deepEqual(queued.limits, original.limits);
    // While that re-run is queued or running, another, and a submission of the member's own: none is
    // refused, so neither re-run holds a place in the member's one-at-a-time quota.
    const second = await rerun('admin', original.id);
    assert.equal(second.status, 202, JSON.stringify(second.body));
    const own = await submit('alice', 'bm-honest', 'rq');
    assert.equal(own.status, 202, `the member's own submission: ${JSON.stringify(own.body)}`);

    for (const id of [queued.id, second.body.id as string]) {
      const end = await done(id);
      assert.equal(end.status, 'succeeded', JSON.stringify(end));
      assert.equal(end.score, original.score, 'scored as the original was');
      assert.equal(end.rerunOf, original.id);
      const record = JSON.parse(readFileSync(join(stack.dataDir, 'runs', 'again', `${id}.json`), 'utf8')) as Record<string, unknown>;
      assert.equal(record.rerunOf, original.id, 'the record names the run it repeats');
      assert.deepEqual(record.submittedBy, { user: 'alice', team: 'red' });
    }
    // The member sees the re-run of their run as theirs.
    const seen = await as('alice')(stack.http.get(`/v1/runs/${queued.id}`));
    assert.equal(seen.status, 200);
    assert.equal(seen.body.requestedBy, 'olga');
    assert.equal((await done(own.body.id as string)).status, 'succeeded');
    // Two of two counted today: the original and the member's own. The re-runs counted nothing.
    const over = await submit('alice', 'bm-honest', 'rq');
    assert.equal(over.status, 429, JSON.stringify(over.body));
    assert.equal(over.body.error.code, 'quota_exceeded');

    const adminUser = (await as('admin')(stack.http.get('/v1/whoami'))).body.user as string;
    const audit = await as('admin')(stack.http.get('/v1/audit'));
    const reruns = (audit.body.entries as AuditEntry[]).filter((e) => e.action === 'run.rerun');
    assert.deepEqual(
      reruns.map((e) => [e.actor, e.target, e.details?.submitter, e.details?.rerun]).sort(),
      [
        [adminUser, `run:${original.id}`, 'alice', second.body.id],
        ['olga', `run:${original.id}`, 'alice', queued.id],
      ].sort(),
    );
  });

  it('members and viewers may not re-run, even their own run (403 saying which role); an unknown run is a 404, a live one a 409', async () => {
    for (const who of ['alice', 'bob', 'vic']) {
      const res = await rerun(who, original.id);
      assert.equal(res.status, 403, `${who}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, /runs\.rerun needs the role admin or operator \(you are (member|viewer)\)/);
    }
    assert.equal((await rerun('olga', '00000000-0000-7000-8000-000000000000')).status, 404);
    // The run page offers the button only to those who may.
    assert.equal((await as('olga')(stack.http.get(`/v1/runs/${original.id}`))).body.may.rerun, true);
    assert.equal((await as('alice')(stack.http.get(`/v1/runs/${original.id}`))).body.may.rerun, false);

    const live = await submit('bob', 'slow');
    assert.equal(live.status, 202);
    const refused = await rerun('olga', live.body.id as string);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /still (queued|running): re-run it once it has ended/);
    assert.equal((await as('bob')(stack.http.delete(`/v1/runs/${live.body.id as string}`))).status, 202);
  });

  it('modelrun rerun ID: an operator queues the re-run and is told its id; a member is refused', async () => {
    const env = (user: string) => ({ MODELRUN_URL: stack.api.url, MODELRUN_TOKEN: tokens[user]! });
    const ok = await modelrun(['rerun', original.id, '--json'], env('olga'));
    assert.equal(ok.status, 0, explain(ok));
    const run = JSON.parse(ok.stdout) as RunView;
    assert.equal(run.rerunOf, original.id);
    assert.equal(run.requestedBy, 'olga');
    assert.equal((await done(run.id)).status, 'succeeded');
    const refused = await modelrun(['rerun', original.id], env('alice'));
    assert.notEqual(refused.status, 0, explain(refused));
    assert.match(refused.stderr, /needs the role admin or operator/);
  });
});
