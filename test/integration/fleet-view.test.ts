import assert from 'node:assert/strict';
import type { HostView, QueueFigures, RunView } from '@modelrun/contracts';
import { MODELRUN, runCommand } from '../helpers/cli';
import { docker } from '../helpers/docker';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { LONG_MODEL, TwoHosts, buildLongModel, release } from '../helpers/two-hosts';
import { buildFixtures, fixture } from '../fixtures/images';

// A short lease so a killed host shows as lost in seconds; short stall checks for the restarts.
const FLEET_ENV = { WORKER_LEASE_SECONDS: '3', WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_SHUTDOWN_GRACE_SECONDS: '1' };

async function hosts(stack: Stack): Promise<HostView[]> {
  const res = await stack.http.get('/v1/hosts').set(stack.auth);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body as { hosts: HostView[] }).hosts;
}

async function host(stack: Stack, id: string): Promise<HostView> {
  const res = await stack.http.get(`/v1/hosts/${id}`).set(stack.auth);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as HostView;
}

/** Waits until host `id` as the API shows it passes `check`. */
function hostWhere(stack: Stack, id: string, what: string, check: (h: HostView) => boolean, timeoutMs = 30_000): Promise<HostView> {
  return waitFor(
    `host ${id} ${what}`,
    async () => {
      const h = await host(stack, id).catch(() => undefined);
      return h && check(h) ? h : undefined;
    },
    timeoutMs,
    200,
  );
}

/** `modelrun ARGS` against the stack's API, from source. */
async function cli(stack: Stack, ...args: string[]): Promise<string> {
  const r = await runCommand(process.execPath, [...MODELRUN, ...args], { MODELRUN_URL: stack.api.url });
  assert.equal(r.status, 0, `modelrun ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const startedOn = (p: AppProcess): string => String(p.lines.find((l) => l.message === 'worker started')?.host);
const metricsOf = (p: AppProcess): string => String(p.lines.find((l) => l.message === 'worker started')?.metrics);

describe('fleet view: hosts, their processes, drain and resume', function () {
  this.timeout(240_000);

  describe('one host, three worker processes with the defaults', () => {
    let stack: Stack;
    const procs: AppProcess[] = [];

    before(async () => {
      await Promise.all([buildFixtures(), buildLongModel()]);
      stack = await startStack({ workers: 0, env: FLEET_ENV });
    });
    after(async () => {
      for (const p of procs) {
        p.kill('SIGKILL');
        await p.exited;
      }
      await stack?.stop();
    });

    it('all three run (no EADDRINUSE), each scrapeable at its own address, all in the view, runs spread over them', async () => {
      // WORKER_METRICS_PORT unset, as a new user starts them: the default port, then the next free ones.
      const { WORKER_METRICS_PORT: _unset, ...env } = stack.env;
      for (let i = 0; i < 3; i++) procs.push(spawnApp('worker', { ...env, WORKER_CONCURRENCY: '1' }));
      await Promise.all(procs.map((p) => p.waitForLog('worker started', 90_000)));
      const urls = procs.map(metricsOf);
      assert.equal(new Set(urls).size, 3, `three addresses: ${urls.join(' ')}`);
      for (const url of urls) {
        const res = await fetch(`${url}/metrics`);
        assert.equal(res.status, 200, url);
        assert.match(await res.text(), /modelrun_worker_active_runs/);
        assert.equal((await fetch(`${url}/healthz`)).status, 200);
      }
      const id = startedOn(procs[0]!);
      const view = await hostWhere(stack, id, 'to show three processes', (h) => h.processes.length === 3);
      assert.deepEqual(view.processes.map((p) => p.metricsUrl).sort(), [...urls].sort(), 'the view publishes the real addresses');
      assert.equal(view.state, 'live');
      assert.equal(view.drain, 'active');

      // Three runs that run until released, one slot per process: each process runs one.
      const runs = await Promise.all([0, 1, 2].map((i) => stack.submit(fixture(LONG_MODEL), `spread-${i}`)));
      await Promise.all(runs.map((r) => stack.waitForPhase(r.id, 'running', 60_000)));
      const busy = await hostWhere(stack, id, 'to run one run in each process', (h) => h.processes.every((p) => p.slotsBusy === 1));
      assert.equal(busy.runningCount, 3);
      assert.deepEqual(busy.runs.map((r) => r.id).sort(), runs.map((r) => r.id).sort(), 'the runs on the host, from their ownership records');
      const engine = await docker();
      for (const r of runs) await release(engine, stack.prefix, r.id);
      for (const r of runs) assert.equal((await stack.waitForRun(r.id, undefined, 60_000)).status, 'succeeded');
    });

    it('a taken WORKER_METRICS_PORT, set explicitly, stops the worker and says why', async () => {
      const taken = new URL(metricsOf(procs[0]!)).port;
      const p = spawnApp('worker', { ...stack.env, WORKER_METRICS_PORT: taken });
      const exit = await p.exited;
      assert.notEqual(exit.code, 0);
      assert.ok(
        p.lines.some((l) => JSON.stringify(l).includes(`WORKER_METRICS_PORT ${taken} on 127.0.0.1 is taken`)),
        p.lines.map((l) => JSON.stringify(l)).join('\n'),
      );
    });

    it('queue figures: waiting, running and the oldest wait, on /v1/queues and the API /metrics', async () => {
      // Paused, so the runs wait however many workers there are.
      assert.equal((await stack.http.post('/v1/queues/runs/pause').set(stack.auth)).body.paused, true);
      const first = await stack.submit(fixture('short-sleep'), 'waits-1');
      await stack.submit(fixture('short-sleep'), 'waits-2');
      const figures = await waitFor('two waiting runs, the oldest some time old', async () => {
        const res = await stack.http.get('/v1/queues').set(stack.auth);
        const runs = (res.body as { queues: QueueFigures[] }).queues.find((q) => q.name === 'runs');
        return runs && runs.waiting === 2 && runs.oldestWaitingSeconds >= 0.5 ? runs : undefined;
      });
      assert.equal(figures.paused, true);
      assert.ok(figures.oldestWaitingSeconds < 60, `oldest ${figures.oldestWaitingSeconds} s`);
      const text = await (await fetch(`${stack.api.url}/metrics`)).text();
      assert.match(text, /^modelrun_queue_waiting\{queue="runs"\} 2$/m);
      assert.match(text, /^modelrun_queue_running\{queue="runs"\} 0$/m);
      const oldest = Number(/^modelrun_queue_oldest_waiting_seconds\{queue="runs"\} (\S+)$/m.exec(text)?.[1]);
      assert.ok(oldest >= 0.5 && oldest < 60, `oldest waiting ${oldest} s`);
      assert.equal((await stack.http.post('/v1/queues/runs/resume').set(stack.auth)).body.paused, false);
      assert.equal((await stack.waitForRun(first.id, undefined, 60_000)).status, 'succeeded');
      const audit = await stack.http.get('/v1/audit').set(stack.auth);
      assert.deepEqual(
        (audit.body as { entries: { action: string; target: string }[] }).entries.filter((e) => e.action.startsWith('queue.')).map((e) => `${e.action} ${e.target}`),
        ['queue.resume queue:runs', 'queue.pause queue:runs'],
      );
    });
  });

  describe('two hosts (two engines)', () => {
    let stack: Stack;
    let two: TwoHosts;

    before(async () => {
      await Promise.all([buildFixtures(), buildLongModel()]);
      stack = await startStack({ workers: 0, env: FLEET_ENV });
      two = await TwoHosts.start(stack, [fixture(LONG_MODEL), fixture('short-sleep')]);
    });
    after(async () => {
      await two?.stop();
      await stack?.stop();
    });

    it("shows each host's figures as its engine says them; a host whose lease lapsed shows lost, with when", async () => {
      const a1 = await two.worker('a');
      // Host b hands out two GPU devices (ids only: no GPU run starts here, so no NVIDIA runtime is needed).
      const b1 = await two.worker('b', { WORKER_LABELS: 'zone=b,reference=digits', WORKER_GPUS: '0,1' });
      const [a, b] = [TwoHosts.hostOf(a1), TwoHosts.hostOf(b1)];
      assert.notEqual(a, b);
      const viewB = await hostWhere(stack, b, 'to have its engine figures', (h) => h.engine !== undefined);
      const infoB = (await two.b.docker.info()) as { ServerVersion: string; Runtimes: Record<string, unknown> };
      assert.equal(viewB.engine!.engineVersion, infoB.ServerVersion);
      assert.deepEqual(viewB.engine!.runtimes, Object.keys(infoB.Runtimes).sort());
      assert.equal(viewB.engine!.imagesCached, (await two.b.docker.listImages({ all: true })).length, 'the images engine b holds');
      assert.ok(viewB.engine!.diskUsedBytes > 0);
      assert.deepEqual(viewB.labels, { zone: 'b', reference: 'digits' });
      assert.deepEqual(viewB.gpus, { total: 2, free: 2, inUse: 0 });
      assert.deepEqual(viewB.processes[0]!.queues.sort(), ['runs', 'runs-gpu']);
      assert.equal(viewB.engineUp, true);
      assert.equal(viewB.volumeWritable, true);
      assert.equal(viewB.processes.length, 1);
      assert.equal(viewB.processes[0]!.pid, b1.child.pid);
      const viewA = await hostWhere(stack, a, 'to have its engine figures', (h) => h.engine !== undefined);
      assert.equal(viewA.engine!.engineVersion, ((await two.a.info()) as { ServerVersion: string }).ServerVersion);
      assert.ok(viewA.engine!.imagesCached > 0);
      assert.equal(viewA.gpus, undefined, 'a CPU-only host');

      // Host b's only worker dies: its process drops out and its lease lapses (3 s).
      const killedAt = Date.now();
      b1.kill('SIGKILL');
      await b1.exited;
      const lost = await hostWhere(stack, b, 'to show as lost', (h) => h.state === 'lost', 30_000);
      assert.ok(lost.lostAt, 'says when');
      const lostAt = Date.parse(lost.lostAt!);
      assert.ok(lostAt >= killedAt - 1_000 && lostAt <= Date.now(), `lost at ${lost.lostAt}, killed at ${new Date(killedAt).toISOString()}`);
      assert.equal(lost.lease.leftMs, 0);
      assert.ok(
        (await hosts(stack)).some((h) => h.id === b && h.state === 'lost'),
        'the list keeps a lost host',
      );
      assert.equal((await host(stack, a)).state, 'live');
      a1.kill('SIGTERM');
      await a1.exited;
    });

    it('drain during running runs: they finish, nothing new starts there while the other host takes the queue; the drain outlives a restart; resume takes runs again', async () => {
      const a1 = await two.worker('a', { WORKER_CONCURRENCY: '2' });
      const a = TwoHosts.hostOf(a1);
      const long = await Promise.all([0, 1].map((i) => stack.submit(fixture(LONG_MODEL), `drain-long-${i}`)));
      await Promise.all(long.map((r) => stack.waitForPhase(r.id, 'running', 60_000)));
      const b1 = await two.worker('b', { WORKER_CONCURRENCY: '2' });
      const b = TwoHosts.hostOf(b1);

      const drainAt = Date.now();
      // Drained from the CLI, as an operator would.
      assert.match(await cli(stack, 'hosts', 'drain', a), new RegExp(`host ${a} is draining \\(2 runs still running\\)`));
      const storedAt = Date.now();
      assert.equal((await hostWhere(stack, a, 'to stop taking runs', (h) => h.processes.every((p) => !p.takingRuns), 15_000)).drain, 'draining');
      const noticedMs = Date.now() - storedAt;

      // New runs while a drains: all on b.
      const quick = await Promise.all([0, 1, 2].map((i) => stack.submit(fixture('short-sleep'), `drain-new-${i}`)));
      const quickDone = await Promise.all(quick.map((r) => stack.waitForRun(r.id, undefined, 90_000)));
      for (const r of quickDone) {
        assert.equal(r.status, 'succeeded', JSON.stringify(r));
        assert.equal(r.host, b, `run ${r.id} ran on the other host`);
      }
      assert.equal((await host(stack, a)).drain, 'draining', 'still draining while its runs run');
      assert.equal((await host(stack, a)).runs.length, 2);

      for (const r of long) await release(two.a, stack.prefix, r.id);
      const releasedAt = Date.now();
      const longDone = await Promise.all(long.map((r) => stack.waitForRun(r.id, undefined, 60_000)));
      const recordedAt = Date.now();
      for (const r of longDone) {
        assert.equal(r.status, 'succeeded', JSON.stringify(r));
        assert.equal(r.host, a, 'the drained host finished its runs');
      }
      await hostWhere(stack, a, 'to be drained', (h) => h.drain === 'drained', 15_000);
      const drainedAt = Date.now();
      const drainMs = Date.now() - drainAt;
      const shown = await cli(stack, 'hosts', 'show', a);
      assert.match(shown, /drain:\s+drained \(asked .* ago by local\)/);
      assert.match(shown, /no runs running/);
      assert.match(await cli(stack, 'hosts'), new RegExp(`${a}\\s+live, drained`));
      process.stderr.write(
        `      drain figures: the host's worker showed it stopped taking runs ${noticedMs} ms after the drain was stored; drained ${drainMs} ms after the CLI was started, ${drainedAt - releasedAt} ms after its last runs were let finish, ${drainedAt - recordedAt} ms after both were recorded; ${longDone.length} runs finished on ${a}, ${quickDone.length} started on ${b} meanwhile\n`,
      );

      // The drain is stored: a restarted worker of the host starts drained and takes nothing.
      a1.kill('SIGTERM');
      await a1.exited;
      b1.kill('SIGTERM');
      await b1.exited;
      const a2 = await two.worker('a');
      const waiting = await stack.submit(fixture('short-sleep'), 'drain-after-restart');
      const since = Date.now();
      const restarted = await hostWhere(
        stack,
        a,
        'to show the restarted worker, drained',
        (h) => h.processes.length === 1 && h.processes[0]!.pid === a2.child.pid && Date.parse(h.processes[0]!.lastHeartbeat) > since + 3_000,
        20_000,
      );
      assert.equal(restarted.drain, 'drained');
      assert.match(restarted.processes[0]!.refusing ?? '', /drained by an operator/);
      const still = await stack.http.get(`/v1/runs/${waiting.id}`).set(stack.auth);
      assert.equal((still.body as RunView).status, 'queued', 'a drained host took no run across a restart');

      assert.match(await cli(stack, 'hosts', 'resume', a), /is active: taking runs/);
      const done = await stack.waitForRun(waiting.id, undefined, 60_000);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.host, a);
      assert.equal((await host(stack, a)).drain, 'active');
      const audit = await stack.http.get('/v1/audit').set(stack.auth);
      assert.deepEqual(
        (audit.body as { entries: { action: string; target: string; actor: string }[] }).entries.filter((e) => e.action.startsWith('host.')).map((e) => `${e.action} ${e.target} by ${e.actor}`),
        [`host.resume host:${a} by local`, `host.drain host:${a} by local`],
      );
    });
  });
});
