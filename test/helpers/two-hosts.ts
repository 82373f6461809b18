import type Docker from 'dockerode';
import { LABELS } from '@modelrun/contracts';
import { type ContainerWatch, watchContainers } from './container-watch';
import { docker, isKeeper } from './docker';
import { TestEngine } from './docker-engine';
import { type AppProcess, spawnApp } from './processes';
import type { Stack } from './stack';
import { waitFor } from './wait';
import { buildFixture } from '../fixtures/images';

export type HostName = 'a' | 'b';

/**
 * A model that runs until the test releases it (SIGUSR1 through the engine, see `release`), so
 * each step of a test happens while the run is running however loaded the machine is; it ends
 * on its own after about two minutes if nobody does.
 */
export const LONG_MODEL = 'until-released';

export function buildLongModel(): Promise<void> {
  return buildFixture(LONG_MODEL, {
    script: `finish() { echo '{"score": 0.2}' > "$OUTPUT_DIR/score.json"; echo released; exit 0; }; trap finish USR1; echo started; i=0; while [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done; finish`,
  });
}

/**
 * Lets the run's running model container on `engine` finish (SIGUSR1), once there is one. Not
 * its output keeper, which carries the same run id and ignores the signal: the run would never end.
 */
export async function release(engine: Docker, deployment: string, runId: string): Promise<void> {
  const id = await waitFor(
    `a running model container of run ${runId}`,
    async () => (await engine.listContainers({ filters: { label: [`${LABELS.deployment}=${deployment}`, `${LABELS.runId}=${runId}`], status: ['running'] } })).find((c) => !isKeeper(c.Labels))?.Id,
    60_000,
    100,
  );
  await engine.getContainer(id).kill({ signal: 'SIGUSR1' });
}

/**
 * Two worker hosts on one machine: host `a` is the main engine, host `b` a second engine
 * (TestEngine) that tests may stop, kill and boot again. Both share the stack's Redis and
 * DATA_DIR, as the hosts of a deployment share Redis and the volume. Workers are real
 * processes whose DOCKER_HOST names their host's engine.
 */
export class TwoHosts {
  private readonly procs: AppProcess[] = [];

  private constructor(
    readonly stack: Stack,
    readonly a: Docker,
    readonly b: TestEngine,
    private readonly workerEnv: Record<string, string>,
  ) {}

  /** Starts engine b and loads `images` into it (they are built on the main engine). */
  static async start(stack: Stack, images: string[], workerEnv: Record<string, string> = {}): Promise<TwoHosts> {
    const b = await TestEngine.start({ name: 'fleet' });
    try {
      await b.loadImages(images);
    } catch (err) {
      await b.destroy();
      throw err;
    }
    return new TwoHosts(stack, await docker(), b, workerEnv);
  }

  engines(): { name: HostName; docker: Docker }[] {
    return [
      { name: 'a', docker: this.a },
      { name: 'b', docker: this.b.docker },
    ];
  }

  /** Follows both engines' container events for the stack's runs. */
  watch(): Promise<ContainerWatch> {
    return watchContainers(this.stack.prefix, this.engines());
  }

  /** Starts a worker process on `host` and waits until it is taking runs. */
  async worker(host: HostName, extra: Record<string, string> = {}): Promise<AppProcess> {
    const env = { ...this.stack.env, ...this.workerEnv, ...extra, ...(host === 'b' && { DOCKER_HOST: this.b.dockerHost }) };
    const p = spawnApp('worker', env);
    this.procs.push(p);
    await p.waitForLog('worker started', 60_000);
    return p;
  }

  /** The host id a worker announced at start (its engine's ID unless WORKER_HOST_ID is set). */
  static hostOf(p: AppProcess): string {
    return String(p.lines.find((l) => l.message === 'worker started')?.host);
  }

  /** Kills every worker process of the test and removes engine b with all it ran. */
  async stop(): Promise<void> {
    for (const p of this.procs.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
    await this.b.destroy();
  }
}

/** A counter's value from a worker process's /metrics (0 when not yet counted). */
export async function workerCounter(p: AppProcess, name: string): Promise<number> {
  const url = String(p.lines.find((l) => l.message === 'worker started')?.metrics);
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** Waits until a worker logged `message` about the run. */
export function loggedAbout(p: AppProcess, message: string, runId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return waitFor(`a worker to log "${message}" for run ${runId}`, () => p.lines.find((l) => l.message === message && l.runId === runId), timeoutMs, 50);
}
