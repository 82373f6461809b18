import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { type RunView, RunView as RunViewSchema } from '@modelrun/contracts';
import { parseRedisTarget } from '@modelrun/config';
import { createRedis } from '@modelrun/queue';
import { RunFinishedEvent, WebhookProducer, createWebhookQueue, startWebhookWorker } from '@modelrun/webhooks';
import { fixture } from '../fixtures/images';
import { testLogger } from '../helpers/logger';
import { startRedisServer } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

const SECRET = `whsec_${Buffer.from('modelrun-webhook-test-secret-0123456789').toString('base64')}`;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature checked with the standardwebhooks library, as a receiver would. */
  verified: boolean;
  answered: number;
}

/**
 * A webhook endpoint, as a customer would run one: it checks every signature. `/flaky` answers
 * 500 to the first two attempts of each event, then 200; `/gone` answers 410; `/ok` 200.
 */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  const wh = new Webhook(SECRET);
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      let verified = true;
      try {
        wh.verify(body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const key = `${req.url} ${req.headers['webhook-id']}`;
      const tries = (seen.get(key) ?? 0) + 1;
      seen.set(key, tries);
      const answered = !verified ? 401 : req.url === '/gone' ? 410 : req.url === '/flaky' && tries <= 2 ? 500 : 200;
      received.push({ path: req.url ?? '', headers: req.headers, body, verified, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function metric(stack: Stack, outcome: string): Promise<number> {
  const text = await (await fetch(`${stack.workers[0]!.metricsUrl}/metrics`)).text();
  const m = new RegExp(`^modelrun_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? NaN);
}

describe('webhooks: run.finished, signed, retried, refused where private', function () {
  // Each case runs containers and waits for retries (100 ms, doubling): a few seconds.
  this.timeout(60_000);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stack: Stack;

  before(async function () {
    // First use starts Redis and builds the fixture images before the stack starts: more than 30 s on a cold engine.
    this.timeout(120_000);
    receiver = await startReceiver();
    stack = await startStack({
      env: {
        WEBHOOK_URLS: `${receiver.url}/flaky,${receiver.url}/gone`,
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_BACKOFF_MS: '100',
        WEBHOOK_ATTEMPTS: '4',
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('POSTs each finished run, signed, to every endpoint; retries through failures; a 410 is counted and disables nothing', async () => {
    const runs: RunView[] = [];
    for (const [image, name] of [
      [fixture('score-json'), 'hooked-good'],
      [fixture('exit-3'), 'hooked-bad'],
    ] as const) {
      const queued = await stack.submit(image, name);
      runs.push(await stack.waitForRun(queued.id));
    }
    for (const run of runs) {
      const flaky = await waitFor(
        `run ${run.id}'s event at /flaky, delivered on the third try`,
        () => {
          const got = receiver.received.filter((r) => r.path === '/flaky' && r.headers['webhook-id'] === `msg_${run.id}`);
          return got.some((r) => r.answered === 200) ? got : undefined;
        },
        30_000,
      );
      assert.deepEqual(
        flaky.map((r) => r.answered),
        [500, 500, 200],
        'two failures, then delivered, and nothing after',
      );
      assert.ok(
        flaky.every((r) => r.verified),
        'every attempt carries a valid Standard Webhooks signature',
      );
      const event = RunFinishedEvent.parse(JSON.parse(flaky[2]!.body));
      assert.equal(event.type, 'run.finished');
      // The event carries the run exactly as the API shows it, less what the caller may do to it
      // (`may`: an answer to whoever asks, which no webhook receiver is).
      const { may, ...shown } = RunViewSchema.parse((await stack.http.get(`/v1/runs/${run.id}`)).body);
      assert.ok(may, 'the API tells its caller what it may do to the run');
      assert.deepEqual(event.data, shown);
      assert.equal(event.timestamp, shown.finishedAt);
    }
    // /gone answered 410 to both events: each was tried once (no retries), and the second event
    // still went there: a 410 disables nothing.
    // The receiver notes its answer before the worker has read it: the last 200 may still be on
    // its way back, so the worker's counts (and its jobs' states) are waited for, not read once.
    await waitFor('both 410s and both deliveries to be counted', async () => ((await metric(stack, 'gone')) === 2 && (await metric(stack, 'delivered')) === 2 ? true : undefined));
    const gone = receiver.received.filter((r) => r.path === '/gone');
    assert.deepEqual(gone.map((r) => r.headers['webhook-id']).sort(), runs.map((r) => `msg_${r.id}`).sort());
    assert.equal(await metric(stack, 'retried'), 4);
    assert.ok(receiver.received.every((r) => r.verified));

    // Every delivery is on Bull Board, in the webhooks queue, once its job has ended.
    const queue = await waitFor('the four webhook jobs to have ended, on the board', async () => {
      const res = await stack.http.get('/admin/queues/api/queues').query({ activeQueue: 'webhooks', status: 'completed' });
      assert.equal(res.status, 200);
      const q = (res.body as { queues: { name: string; counts: Record<string, number> }[] }).queues.find((q) => q.name === 'webhooks');
      assert.ok(q, 'the webhooks queue is on the board');
      return (q.counts.completed ?? 0) + (q.counts.failed ?? 0) >= 4 ? q : undefined;
    });
    assert.equal(queue.counts.completed, 2);
    assert.equal(queue.counts.failed, 2, 'the two 410s');
  });

  describe('without WEBHOOK_ALLOW_PRIVATE', () => {
    let guarded: Stack;
    before(async () => {
      guarded = await startStack({
        // localhost is a name: the guard refuses it after resolving it, at delivery time.
        env: { WEBHOOK_URLS: `${receiver.url.replace('127.0.0.1', 'localhost')}/ok`, WEBHOOK_SECRET: SECRET, WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '4' },
      });
    });
    after(async () => guarded?.stop());

    it('refuses to deliver to a private address, once, and the run is unaffected', async () => {
      const before = receiver.received.length;
      const run = await guarded.waitForRun((await guarded.submit(fixture('score-json'), 'hooked-private')).id);
      assert.equal(run.status, 'succeeded');
      await waitFor('the refusal to be counted', async () => ((await metric(guarded, 'refused')) === 1 ? true : undefined), 20_000);
      assert.equal(receiver.received.length, before, 'nothing reached the receiver');
      assert.equal(await metric(guarded, 'retried'), 0, 'a refusal is not retried');
    });
  });

  describe('while Redis is down', () => {
    it('takes the event at once and queues it in the background, delivering it once Redis is back', async () => {
      const redis = await startRedisServer();
      const conn = createRedis(parseRedisTarget(redis.url), { role: 'consumer', onError: () => undefined });
      const log = testLogger('webhooks');
      const queue = createWebhookQueue(conn, 'hooks-outage');
      const producer = new WebhookProducer(queue, [`${receiver.url}/ok`], { attempts: 3, backoffMs: 100 }, log);
      const delivery = startWebhookWorker({ connection: conn, prefix: 'hooks-outage', concurrency: 1, secret: SECRET, allowPrivate: true, log });
      try {
        await delivery.waitUntilReady();
        await redis.kill9();
        const run: RunView = {
          id: '01a21c4c-2675-7876-8c5f-439c69e7e79b',
          name: 'outage',
          image: 'team/model:1',
          status: 'succeeded',
          score: 0.5,
          limits: { timeoutSeconds: 60, memoryMb: 64, cpus: 1, gpus: 0 },
          createdAt: '2026-11-30T12:00:00.000Z',
          finishedAt: '2026-11-30T12:00:01.000Z',
          attempts: 1,
        };
        // Returns without waiting: the caller (a run being recorded) never waits on its webhooks.
        assert.equal(producer.runFinished(run, run.finishedAt), undefined);
        const id = `msg_${run.id}`;
        assert.equal(receiver.received.filter((r) => r.headers['webhook-id'] === id).length, 0);
        await redis.restart();
        const got = await waitFor('the event after Redis came back', () => receiver.received.find((r) => r.headers['webhook-id'] === id), 30_000);
        assert.ok(got.verified);
        assert.deepEqual(RunFinishedEvent.parse(JSON.parse(got.body)).data, run);
        assert.equal(await producer.drain(1_000), 0, 'nothing left pending');
      } finally {
        await delivery.close();
        await queue.close();
        conn.disconnect();
        await redis.stop();
      }
    });
  });
});
