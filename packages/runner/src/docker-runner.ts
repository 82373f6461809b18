import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { type AppliedLimits, LABELS, containerName, pinnedImageRef } from '@modelrun/contracts';
import { type OutputCaps, type OutputContents, readOutputArchive } from './archive';
import type { ExitInfo } from './classify';
import { daemonMessage, infrastructure, statusOf } from './docker-errors';
import { HandedBackError, InfrastructureError, ModelFault } from './errors';
import { LogTail } from './log-tail';
import type { CollectedLogs, ContainerHandle, ContainerState, ManagedContainer, ModelRunner, PrepareOptions, RunSpec, WaitOptions } from './model-runner';
import { OUTPUT_DIR, type SandboxPolicy, containerSpec } from './sandbox';

export interface DockerRunnerOptions {
  docker: Docker;
  /** Names and labels this deployment's containers (the queue prefix), so deployments never touch each other's. */
  deployment: string;
  policy: SandboxPolicy;
  output: OutputCaps;
  /** Seconds between SIGTERM and SIGKILL when a run is stopped (RUN_STOP_GRACE_SECONDS, default 5). */
  stopGraceSeconds: number;
}

const NOT_FOUND = 404;
const CONFLICT = 409;
const NOT_MODIFIED = 304;
/** How often a waiting run checks on its container besides the engine's own wait. */
const WAIT_POLL_MS = 2_000;

export class DockerRunner implements ModelRunner {
  private readonly docker: Docker;
  /** Image ids whose /output was found empty: later runs of them skip the check. */
  private readonly emptyOutputImages = new Set<string>();

  constructor(private readonly opts: DockerRunnerOptions) {
    this.docker = opts.docker;
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      throw infrastructure('ping the engine', err);
    }
  }

  async prepare(spec: RunSpec, onPulled?: () => Promise<void> | void, opts: PrepareOptions = {}): Promise<ContainerHandle> {
    const existing = opts.firstDelivery ? undefined : await this.find(spec.runId);
    if (existing) return existing;
    const image = pinnedImageRef(spec.image);
    const imageId = await this.ensureImage(image);
    await onPulled?.();
    const create = containerSpec({
      deployment: this.opts.deployment,
      runId: spec.runId,
      name: spec.name,
      image,
      limits: spec.limits,
      policy: this.opts.policy,
    });
    let id: string;
    try {
      id = (await this.docker.createContainer(create)).id;
    } catch (err) {
      // Another delivery of the same run got there first: adopt its container.
      if (statusOf(err) === CONFLICT) {
        const raced = await this.find(spec.runId);
        if (raced) return raced;
      }
      if (statusOf(err) === NOT_FOUND) throw new ModelFault('image_not_found', `image ${image} disappeared before its container could be created`);
      throw infrastructure('create the container', err);
    }
    // Whether an image ships files in /output is a property of the image: check each one once.
    if (!this.emptyOutputImages.has(imageId)) {
      await this.checkOutputEmpty(id);
      this.emptyOutputImages.add(imageId);
    }
    return { id, runId: spec.runId, adopted: false, state: 'created' };
  }

  async start(handle: ContainerHandle): Promise<ContainerHandle> {
    if (handle.state !== 'created') return handle;
    try {
      await this.docker.getContainer(handle.id).start();
    } catch (err) {
      if (statusOf(err) !== NOT_MODIFIED) throw infrastructure('start the container', err);
    }
    return { ...handle, state: 'running', startedAt: new Date().toISOString() };
  }

  async wait(handle: ContainerHandle, limits: AppliedLimits, opts: WaitOptions = {}): Promise<ExitInfo> {
    const container = this.docker.getContainer(handle.id);
    const startedMs = handle.startedAt ? Date.parse(handle.startedAt) : Date.now();
    const deadline = startedMs + limits.timeoutSeconds * 1000;
    const waitAbort = new AbortController();
    let timedOut = false;
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanups: (() => void)[] = [];
    let stopping: Promise<void> | undefined;

    // The engine's long-poll wait answers the moment the container exits, but a connection cut
    // mid-wait (dockerd restarting) leaves dockerode's promise pending forever. A slow inspect
    // loop beside it notices both an exit and an engine that has gone away.
    const exited = Promise.race([
      container.wait({ abortSignal: waitAbort.signal } as Docker.ContainerWaitOptions),
      this.pollUntilStopped(handle.id, waitAbort.signal),
    ]);
    // A stop that finds the container already exited does not count: it finished on its own.
    const stopFor = (why: 'timeout' | 'cancel'): void => {
      if (stopping) return;
      stopping = this.stop(handle.id).then((stopped) => {
        if (stopped && why === 'timeout') timedOut = true;
        if (stopped && why === 'cancel') cancelled = true;
      });
    };
    const handedBack = new Promise<never>((_, reject) => {
      if (!opts.handback) return;
      const onHandback = (): void => {
        waitAbort.abort();
        reject(new HandedBackError());
      };
      if (opts.handback.aborted) return onHandback();
      opts.handback.addEventListener('abort', onHandback, { once: true });
      cleanups.push(() => opts.handback?.removeEventListener('abort', onHandback));
    });
    handedBack.catch(() => undefined);
    timer = setTimeout(() => stopFor('timeout'), Math.max(0, deadline - Date.now()));
    if (opts.cancel) {
      const onCancel = (): void => stopFor('cancel');
      if (opts.cancel.aborted) onCancel();
      else opts.cancel.addEventListener('abort', onCancel, { once: true });
      cleanups.push(() => opts.cancel?.removeEventListener('abort', onCancel));
    }
    try {
      await Promise.race([exited, handedBack]);
    } catch (err) {
      if (err instanceof HandedBackError) throw err;
      throw infrastructure('wait for the container', err);
    } finally {
      clearTimeout(timer);
      cleanups.forEach((c) => c());
      waitAbort.abort();
    }
    // The wait ends when the container stops, which can be before the stop call returns.
    if (stopping) await stopping;
    const info = await this.inspect(handle.id);
    if (!info) throw new InfrastructureError(`docker: the container of run ${handle.runId} vanished while it ran`);
    const finishedAt = validTime(info.State.FinishedAt);
    // An adopted container may have been stopped past its deadline while no worker watched it.
    if (!timedOut && !cancelled && finishedAt && Date.parse(finishedAt) > deadline + 1_000) timedOut = true;
    return {
      exitCode: info.State.ExitCode ?? null,
      oomKilled: info.State.OOMKilled === true,
      timedOut,
      cancelled,
      startedAt: validTime(info.State.StartedAt),
      finishedAt,
      user: info.Config.User ?? '',
    };
  }

  async collect(handle: ContainerHandle): Promise<OutputContents> {
    let stream: Readable;
    try {
      stream = (await this.docker.getContainer(handle.id).getArchive({ path: OUTPUT_DIR })) as unknown as Readable;
    } catch (err) {
      if (statusOf(err) === NOT_FOUND) return { entries: 0, sample: [], totalBytes: 0, problem: `${OUTPUT_DIR} is missing from the container` };
      throw infrastructure('copy the output folder', err);
    }
    return readOutputArchive(stream, this.opts.output);
  }

  async logs(handle: ContainerHandle): Promise<CollectedLogs> {
    let raw: Buffer;
    try {
      raw = (await this.docker.getContainer(handle.id).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    } catch (err) {
      throw infrastructure('read the container logs', err);
    }
    const tail = new LogTail(this.opts.policy.logMaxBytes);
    tail.push(raw);
    return { bytes: tail.bytes, dropped: tail.dropped };
  }

  async followLogs(handle: ContainerHandle, onData: (chunk: Buffer) => void, signal: AbortSignal): Promise<boolean> {
    let stream: Readable;
    try {
      stream = (await this.docker.getContainer(handle.id).logs({
        stdout: true,
        stderr: true,
        follow: true,
        abortSignal: signal,
      } as Docker.ContainerLogsOptions & { follow: true })) as unknown as Readable;
    } catch (err) {
      if (signal.aborted) return false;
      throw infrastructure('follow the container logs', err);
    }
    const frames = new LogTail(0);
    return new Promise<boolean>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        const payload = frames.push(chunk);
        if (payload.length) onData(payload);
      });
      // 'end' only when the engine closed the stream because the container stopped.
      stream.on('end', () => resolve(!signal.aborted));
      stream.on('close', () => resolve(false));
      stream.on('error', () => resolve(false));
      signal.addEventListener('abort', () => {
        stream.destroy();
        resolve(false);
      });
    });
  }

  async remove(handle: Pick<ContainerHandle, 'id'>): Promise<void> {
    try {
      await this.docker.getContainer(handle.id).remove({ force: true, v: true });
    } catch (err) {
      // Gone already, or another worker is removing it: either way it will not be left behind.
      if (statusOf(err) === NOT_FOUND || (statusOf(err) === CONFLICT && /in progress/.test(daemonMessage(err)))) return;
      throw infrastructure('remove the container', err);
    }
  }

  async removeRun(runId: string): Promise<void> {
    const handle = await this.find(runId);
    if (handle) await this.remove(handle);
  }

  async stopRun(runId: string): Promise<boolean> {
    const handle = await this.find(runId);
    return handle ? this.stop(handle.id) : false;
  }

  async listManaged(): Promise<ManagedContainer[]> {
    let list: Docker.ContainerInfo[];
    try {
      list = await this.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.managed}=true`, `${LABELS.deployment}=${this.opts.deployment}`] },
      });
    } catch (err) {
      throw infrastructure('list containers', err);
    }
    const now = Date.now() / 1000;
    return list.map((c) => ({
      id: c.Id,
      runId: c.Labels[LABELS.runId] ?? '',
      state: c.State,
      ageSeconds: Math.max(0, now - c.Created),
      timeoutSeconds: Number(c.Labels[LABELS.timeoutSeconds] ?? 0),
    }));
  }

  /** Resolves when the container is no longer running; rejects if the engine cannot say. */
  private async pollUntilStopped(id: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS).unref());
      if (signal.aborted) return;
      const info = await this.docker.getContainer(id).inspect();
      if (!info.State.Running) return;
    }
  }

  /** @returns true if this call stopped a running container. */
  private async stop(id: string): Promise<boolean> {
    const container = this.docker.getContainer(id);
    try {
      await container.stop({ t: this.opts.stopGraceSeconds });
      return true;
    } catch (err) {
      if (statusOf(err) === NOT_MODIFIED || statusOf(err) === NOT_FOUND) return false;
      // Stop failed outright: kill is the last resort, so a run never outlives its limit.
      try {
        await container.kill();
        return true;
      } catch {
        return false;
      }
    }
  }

  private async find(runId: string): Promise<ContainerHandle | undefined> {
    const info = await this.inspect(containerName(this.opts.deployment, runId));
    if (!info) return undefined;
    const status = info.State.Status;
    const state: ContainerState = status === 'created' ? 'created' : status === 'running' || status === 'paused' || status === 'restarting' ? 'running' : 'exited';
    return { id: info.Id, runId, adopted: true, state, ...(state !== 'created' && { startedAt: validTime(info.State.StartedAt) }) };
  }

  private async inspect(idOrName: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(idOrName).inspect();
    } catch (err) {
      if (statusOf(err) === NOT_FOUND) return undefined;
      throw infrastructure('inspect the container', err);
    }
  }

  /** @returns the image's id, pulling it first if the engine does not have it. */
  private async ensureImage(image: string): Promise<string> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (err) {
      if (statusOf(err) !== NOT_FOUND) throw infrastructure('inspect the image', err);
    }
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(image);
    } catch (err) {
      if (statusOf(err) === undefined) throw infrastructure('pull the image', err);
      throw new ModelFault('image_not_found', `image ${image} is not on this host and could not be pulled: ${daemonMessage(err)}`);
    }
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null) => {
        if (err) reject(new ModelFault('image_not_found', `image ${image} could not be pulled: ${daemonMessage(err)}`));
        else resolve();
      });
    });
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (err) {
      throw infrastructure('inspect the pulled image', err);
    }
  }

  /** An image that ships files in /output would have them copied into the run's output folder. */
  private async checkOutputEmpty(id: string): Promise<void> {
    let contents: OutputContents;
    try {
      const stream = (await this.docker.getContainer(id).getArchive({ path: OUTPUT_DIR })) as unknown as Readable;
      contents = await readOutputArchive(stream, { totalBytes: Number.MAX_SAFE_INTEGER, maxEntries: 100 });
    } catch (err) {
      await this.remove({ id }).catch(() => undefined);
      throw infrastructure('inspect the new output folder', err);
    }
    if (contents.entries === 0) return;
    await this.remove({ id });
    throw new ModelFault(
      'bad_output',
      `the image already has files in ${OUTPUT_DIR} (${contents.sample.join(', ')}${contents.entries > contents.sample.length ? ', ...' : ''}); the output folder must start empty, so remove them from the image`,
    );
  }
}

function validTime(t: string | undefined): string | undefined {
  // Docker reports "0001-01-01T00:00:00Z" for a time that never happened.
  if (!t || t.startsWith('0001-')) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
