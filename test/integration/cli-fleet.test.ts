import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { QueueList, RunView } from '@modelrun/contracts';
import { type CommandResult, explain, modelrun } from '../helpers/cli';
import { type Stack, startStack } from '../helpers/stack';
import { fixture } from '../fixtures/images';

const ADMIN_TOKEN = randomBytes(24).toString('hex');

/** The API's view of the queues (the CLI's answers are checked against it, not against themselves). */
async function queues(stack: Stack): Promise<QueueList['queues']> {
  const res = await stack.http.get('/v1/queues').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return QueueList.parse(res.body).queues;
}

describe('modelrun queues and submit --requires/--priority (the CLI) against a real API', function () {
  // Each command spawns the CLI (tsx start-up: one to several seconds on a loaded machine).
  this.timeout(120_000);
  let stack: Stack;
  let memberToken: string;
  const as =
    (token: string) =>
    (...args: string[]): Promise<CommandResult> =>
      modelrun(args, { MODELRUN_URL: stack.api.url, MODELRUN_TOKEN: token });
  const admin = (...args: string[]) => as(ADMIN_TOKEN)(...args);

  before(async () => {
    // No workers: runs stay queued, and nothing but the commands changes the queues.
    stack = await startStack({ workers: 0, env: { API_TOKENS: ADMIN_TOKEN, RUN_ALLOWED_LABELS: 'zone' } });
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    assert.equal((await stack.http.post('/v1/users').set(auth).send({ id: 'mia', role: 'member' })).status, 201);
    const made = await stack.http.post('/v1/tokens').set(auth).send({ user: 'mia', name: 'test' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    memberToken = made.body.token as string;
  });
  after(async () => {
    await stack?.stop();
  });

  it('pauses a queue, lists it as paused, resumes it; --all pauses and resumes every queue', async () => {
    const paused = await admin('queues', 'pause', 'runs');
    assert.equal(paused.status, 0, explain(paused));
    assert.match(paused.stdout, /queue runs is paused/);
    assert.equal((await queues(stack)).find((q) => q.name === 'runs')?.paused, true);

    const listed = await admin('queues');
    assert.equal(listed.status, 0, explain(listed));
    assert.match(listed.stdout, /QUEUE\s+PAUSED\s+WAITING\s+RUNNING\s+OLDEST WAIT/);
    assert.match(listed.stdout, /^runs\s+paused\s+0\s+0\s+-\s*$/m);

    const resumed = await admin('queues', 'resume', 'runs');
    assert.equal(resumed.status, 0, explain(resumed));
    assert.match(resumed.stdout, /queue runs is taking runs/);
    assert.equal((await queues(stack)).find((q) => q.name === 'runs')?.paused, false);

    const all = await admin('queues', 'pause', '--all');
    assert.equal(all.status, 0, explain(all));
    const names = (await queues(stack)).map((q) => q.name);
    assert.ok(names.length >= 2, `more than one queue: ${names.join(', ')}`);
    assert.deepEqual(
      (await queues(stack)).filter((q) => !q.paused).map((q) => q.name),
      [],
      'every queue paused',
    );
    for (const n of names) assert.match(all.stdout, new RegExp(`queue ${n} is paused`));
    assert.equal((await admin('queues', 'resume', '--all')).status, 0);
    assert.deepEqual(
      (await queues(stack)).filter((q) => q.paused).map((q) => q.name),
      [],
      'every queue resumed',
    );
  });

  it('submit --requires passes the label and shows it; a refused key and a member --priority show the API words', async () => {
    const ok = await as(memberToken)('submit', fixture('short-sleep'), '--name', 'zoned', '--requires', 'zone=b');
    assert.equal(ok.status, 0, explain(ok));
    assert.match(ok.stdout, /: queued, on a host with zone=b/);
    const id = /submitted run (\S+)/.exec(ok.stdout)![1]!;
    const run = RunView.parse((await stack.http.get(`/v1/runs/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body);
    assert.deepEqual(run.requires, ['zone=b']);

    const badKey = await as(memberToken)('submit', fixture('short-sleep'), '--name', 'gpu-wanted', '--requires', 'gpu=a100');
    // A 400 is the command line's fault (exit 2); the API's words are shown as they are.
    assert.equal(badKey.status, 2, explain(badKey));
    assert.match(badKey.stderr, /the label gpu may not be required: only zone may be required here \(RUN_ALLOWED_LABELS\)/);

    const priority = await as(memberToken)('submit', fixture('short-sleep'), '--name', 'in-a-hurry', '--priority', '1');
    assert.equal(priority.status, 3, explain(priority));
    assert.match(priority.stderr, /only operators and admins may set a run's priority/);

    const first = await admin('submit', fixture('short-sleep'), '--name', 'first', '--priority', '1', '--json');
    assert.equal(first.status, 0, explain(first));
    assert.equal(RunView.parse(JSON.parse(first.stdout)).status, 'queued');
  });
});
