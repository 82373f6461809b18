import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { loadWorkerConfig } from '@modelrun/config';
import { WORKER_RUNS_CONNECTION, startWorker } from '@modelrun/worker';
import { testLogger } from '../helpers/logger';
import { type RedisServer, startRedisServer, testRedis } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { FakeRunner } from '../unit/worker/fake-runner';

interface Seen {
  client: string;
  args: string[];
}

describe("a worker's run state in Redis", function () {
  // A Redis of its own: MONITOR then sees this stack's commands and nothing else.
  let redis: RedisServer;
  let stack: Stack;
  let conn: Redis;

  before(async () => {
    redis = await startRedisServer();
    stack = await startStack({ workers: 0, redisUrl: redis.url, env: { WORKER_CONCURRENCY: '4' } });
    // The unit tests' runner: every step answers at once, so only Redis's part of a run is left.
    stack.workers.push(await startWorker(loadWorkerConfig(stack.env), testLogger('worker'), { runner: new FakeRunner() }));
    conn = testRedis(redis.url);
  });
  after(async () => {
    conn?.disconnect();
    await stack?.stop();
    await redis?.stop();
  });

  it('goes over the connection named modelrun-worker-runs, and a run is cleared in one transaction', async () => {
    const seen: Seen[] = [];
    const watcher = testRedis(redis.url);
    const monitor = await watcher.monitor();
    monitor.on('monitor', (_time: string, args: string[], client: string) => {
      if (client !== 'lua') seen.push({ client, args });
    });
    let names: Map<string, string>;
    const ids: string[] = [];
    try {
      // At once, so the worker's slots issue their run state together, as they do under load.
      const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => stack.submit('registry.example/team/state:v1', `state-${i % 2}`)));
      ids.push(...runs.map((r) => r.id));
      for (const id of ids) assert.equal((await stack.waitForRun(id)).status, 'succeeded');
      // The clean-up runs after the job completes: wait until every run's owner record lingers.
      for (const id of ids) {
        const key = `${stack.prefix}:own:run:${id}`;
        for (let t = Date.now(); (await conn.ttl(key)) < 0;) {
          assert.ok(Date.now() - t < 10_000, `the owner record of ${id} never got its linger`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      names = clientNames((await conn.client('LIST')) as string);
    } finally {
      monitor.disconnect();
      watcher.disconnect();
    }
    assert.ok([...names.values()].includes(WORKER_RUNS_CONNECTION), `no ${WORKER_RUNS_CONNECTION} in CLIENT LIST: ${JSON.stringify([...names.values()])}`);
    const who = (s: Seen): string => names.get(s.client) ?? '(closed)';
    // Every command the worker sent about a run's ownership or side state (keys under own: and
    // ctl:) went over the runs connection; BullMQ's connections carry none of it.
    const runState = seen.filter((s) => s.args.some((a) => a.startsWith(`${stack.prefix}:own:`) || a.startsWith(`${stack.prefix}:ctl:`)));
    const workers = runState.filter((s) => who(s).startsWith('modelrun-worker'));
    assert.ok(workers.length >= ids.length * 3, `too few run-state commands seen: ${workers.length}`);
    assert.deepEqual([...new Set(workers.map(who))], [WORKER_RUNS_CONNECTION]);
    for (const id of ids) {
      // The claim, by the ownership script, over the runs connection.
      assert.ok(
        workers.some((s) => s.args[0]?.toLowerCase() === 'evalsha' && s.args.includes(`${stack.prefix}:own:run:${id}`)),
        `no claim of ${id} over ${WORKER_RUNS_CONNECTION}`,
      );
      // The run's side state and its owner's linger in the same MULTI ... EXEC.
      const tx = transactionOf(seen, `${stack.prefix}:own:run:${id}`);
      assert.ok(tx, `the owner record of ${id} was not cleared in a transaction`);
      assert.equal(who(tx[0]!), WORKER_RUNS_CONNECTION);
      assert.ok(
        tx.some((s) => s.args[0]?.toLowerCase() === 'del' && s.args[1] === `${stack.prefix}:ctl:attempts:${id}`),
        `the transaction that cleared ${id}'s owner left its side state: ${JSON.stringify(tx.map((s) => s.args))}`,
      );
    }
  });
});

/** addr -> name, from CLIENT LIST. */
function clientNames(list: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const line of list.split('\n')) {
    const addr = /\baddr=(\S+)/.exec(line)?.[1];
    if (addr) names.set(addr, /\bname=(\S*)/.exec(line)?.[1] || '(unnamed)');
  }
  return names;
}

/** The MULTI ... EXEC (as MONITOR shows it: MULTI, the commands, EXEC) in which `key` was expired, if any. */
function transactionOf(seen: readonly Seen[], key: string): Seen[] | undefined {
  const at = seen.findIndex((s) => s.args[0]?.toLowerCase() === 'expire' && s.args[1] === key);
  if (at < 0) return undefined;
  const client = seen[at]!.client;
  const mine = seen.filter((s) => s.client === client);
  const i = mine.indexOf(seen[at]!);
  const start = mine.slice(0, i).findLastIndex((s) => s.args[0]?.toLowerCase() === 'multi');
  const end = mine.findIndex((s, j) => j > i && s.args[0]?.toLowerCase() === 'exec');
  if (start < 0 || end < 0 || mine.slice(start + 1, i).some((s) => s.args[0]?.toLowerCase() === 'exec')) return undefined;
  return mine.slice(start, end + 1);
}
