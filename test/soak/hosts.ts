import type Docker from 'dockerode';
import { LABELS } from '@modelrun/contracts';
import type { ContainerWatch } from '../helpers/container-watch';
import { docker } from '../helpers/docker';
import { TestEngine } from '../helpers/docker-engine';

/**
 * The worker hosts of a soak: the main engine alone (host `a`), or with `--engines 2` a second
 * engine (host `b`, a TestEngine sharing the soak's Redis and DATA_DIR) that is lost once
 * (its workers and its engine killed, containers and all) and brought back.
 */
export interface SoakHosts {
  names: string[];
  engines: { name: string; docker: Docker }[];
  /** Environment a worker on `host` gets on top of the soak's. */
  env(host: string): Record<string, string>;
  /** The soak's containers still on any engine. */
  leftovers(deployment: string): Promise<number>;
  /** Runs that had two containers running at one moment, across every engine. */
  duplicates(watch: ContainerWatch, runIds: string[]): number;
  /** Runs that ran on more than one host (taken over from the lost host). */
  movedHosts(watch: ContainerWatch, runIds: string[]): number;
  /** The host that may be lost (undefined with one engine). */
  losable?: { name: string; engine: TestEngine };
  stop(): Promise<void>;
}

export async function startSoakHosts(engines: number, images: string[], leaseSeconds: number): Promise<SoakHosts> {
  const main = await docker();
  const b = engines > 1 ? await TestEngine.start({ name: 'soak' }) : undefined;
  try {
    await b?.loadImages(images);
  } catch (err) {
    await b?.destroy();
    throw err;
  }
  const all = [{ name: 'a', docker: main }, ...(b ? [{ name: 'b', docker: b.docker }] : [])];
  return {
    names: all.map((e) => e.name),
    engines: all,
    env: (host) => ({
      ...(b && { WORKER_LEASE_SECONDS: String(leaseSeconds) }),
      ...(host === 'b' && b && { DOCKER_HOST: b.dockerHost }),
    }),
    async leftovers(deployment) {
      // A container the engine is still removing (a clean-up's DELETE under load takes seconds,
      // and a second remover is told "removal in progress" and moves on) is not left over; one
      // that is still there, or still removing, a minute later is.
      const list = async () => (await Promise.all(all.map(({ docker: d }) => d.listContainers({ all: true, filters: { label: [`${LABELS.deployment}=${deployment}`] } })))).flat();
      const t0 = Date.now();
      let left = await list();
      const removing = left.filter((c) => c.State === 'removing').length;
      while (left.some((c) => c.State === 'removing') && Date.now() - t0 < 60_000) {
        await new Promise((r) => setTimeout(r, 500));
        left = await list();
      }
      if (removing) console.log(`${removing} container(s) being removed at the end; waited ${((Date.now() - t0) / 1000).toFixed(1)} s for the engine`);
      for (const c of left) console.log('leftover container:', c.Names[0], c.State, c.Status, c.Labels[LABELS.runId]);
      return left.length;
    },
    duplicates: (watch, runIds) => runIds.filter((id) => watch.maxAtOnce(id, 'running') > 1).length,
    movedHosts: (watch, runIds) => runIds.filter((id) => new Set(watch.eventsFor(id).map((e) => e.engine)).size > 1).length,
    ...(b && { losable: { name: 'b', engine: b } }),
    stop: async () => b?.destroy(),
  };
}

export interface HostLossContext {
  hosts: SoakHosts;
  watch: ContainerWatch;
  /** The soak's live workers and the host each runs on. */
  workers: Map<{ kill(signal: NodeJS.Signals): void; exited: Promise<unknown> }, string>;
  addWorker(host: string): Promise<void>;
  /** While true, no worker is started on the lost host. */
  down: Set<string>;
  /** Workers to start on the host when it is back. */
  workersPerHost: number;
  /** How long the host stays down (at least a lease, so its runs are taken over). */
  downMs: number;
  log(msg: string): void;
}

/** Host b is lost whole (workers kill -9, engine and containers killed), stays down, and comes back. */
export async function loseAndRestoreHost(ctx: HostLossContext): Promise<void> {
  const lost = ctx.hosts.losable;
  if (!lost) return;
  ctx.down.add(lost.name);
  ctx.log(`host ${lost.name} lost: its workers and its engine killed`);
  const victims = [...ctx.workers].filter(([, host]) => host === lost.name).map(([w]) => w);
  for (const w of victims) w.kill('SIGKILL');
  await Promise.all(victims.map((w) => w.exited));
  await lost.engine.kill();
  ctx.watch.engineLost(lost.name);
  await new Promise((r) => setTimeout(r, ctx.downMs));
  await lost.engine.boot();
  await ctx.watch.reattach(lost.name);
  ctx.down.delete(lost.name);
  for (let i = 0; i < ctx.workersPerHost; i++) await ctx.addWorker(lost.name);
  ctx.log(`host ${lost.name} back with ${ctx.workersPerHost} workers`);
}
