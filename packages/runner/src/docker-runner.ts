import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { type AppliedLimits, LABELS, containerName, evaluatorContainerName, pinnedImageRef } from '@modelrun/contracts';
import { type OutputCaps, type OutputContents, readOutputArchive } from './archive';
import type { ExitInfo } from './classify';
import { CONFLICT, NOT_FOUND, NOT_MODIFIED, daemonMessage, engineTime, infrastructure, statusOf } from './docker-errors';
import { type EvaluationDeps, listPredictionVolumes, prepareEvaluation, removeEvaluation } from './docker-evaluation';
import { readNewOutput } from './docker-images';
import { ImagePulls } from './image-pulls';
import type { EvaluationSpec } from './evaluator-sandbox';
import { type StopReason, waitForStop } from './docker-wait';
import { EngineEvents } from './engine-events';
import { EngineLostError, InfrastructureError, ModelFault } from './errors';
import { LogTail } from './log-tail';
import { engineRefusesConnections } from './engine-probe';
import { type StopFacts, type StopVerdict, judgeStop } from './stop-verdict';
import type { RegistryAuth } from './registry-auth';
import type {
  CollectOptions,
  CollectedLogs,
  ContainerHandle,
  ContainerState,
  EvaluationOptions,
  KeptPredictions,
  GpuDevicesInUse,
  ManagedContainer,
  ModelRunner,
  PrepareOptions,
  RunSpec,
  WaitOptions,
} from './model-runner';
import { containerImageIdentity } from './image-identity';
import { KeeperImage, holdOutput, outputHeld, outputSize, releaseOutput } from './output-hold';
import { outputOwnerOf } from './output-volume';
import { type OutputHoldReport, outputHoldReport } from './output-hold-report';
import { OUTPUT_DIR, type SandboxPolicy, containerSpec, outputOf } from './sandbox';

export interface DockerRunnerOptions {
  docker: Docker;
  /** Names and labels this deployment's containers (the queue prefix), so deployments never touch each other's. */
  deployment: string;
  policy: SandboxPolicy;
  output: OutputCaps;
  /** Seconds between SIGTERM and SIGKILL when a run is stopped (RUN_STOP_GRACE_SECONDS, default 5). */
  stopGraceSeconds: number;
  /** Registry credentials for an image (REGISTRY_AUTH_FILE); none when unset. */
  credentials?: (image: string) => Promise<RegistryAuth | undefined>;
}

/**
 * Names an engine: its host name, then a digest of its ID and data root. The ID alone is not
 * enough: Docker 20.10 derives it from /etc/docker/key.json, which cloned machines and two
 * engines on one machine share; the data root tells such engines apart.
 */
export function engineIdOf(info: { ID: string; Name: string; DockerRootDir: string }): string {
  const digest = createHash('sha256').update(`${info.ID}\n${info.DockerRootDir}`).digest('hex').slice(0, 12);
  return `${info.Name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64)}-${digest}`;
}

export class DockerRunner implements ModelRunner {
  private readonly docker: Docker;
  /** Image ids whose /output was found empty: later runs of them skip the check. */
  private readonly emptyOutputImages = new Set<string>();

  /** The engine's kill and die events: who stopped a container (stop-verdict.ts). */
  private readonly events: EngineEvents;

  /** This engine's pulls: one at a time per image, shared with the pull-ahead. */
  readonly images: ImagePulls;

  /** The image of the keepers that hold runs' output volumes, made on the engine once. */
  private readonly keeper: KeeperImage;

  constructor(private readonly opts: DockerRunnerOptions) {
    this.docker = opts.docker;
    this.images = new ImagePulls(opts.docker, opts.credentials);
    this.events = new EngineEvents(opts.docker, opts.deployment);
    this.keeper = new KeeperImage(opts.docker);
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      throw infrastructure('ping the engine', err);
    }
  }

  async checkRuntime(): Promise<void> {
    const wanted = this.opts.policy.runtime;
    if (!wanted) return;
    let runtimes: Record<string, unknown>;
    try {
      runtimes = ((await this.docker.info()) as { Runtimes?: Record<string, unknown> }).Runtimes ?? {};
    } catch (err) {
      throw infrastructure('read the engine info', err);
    }
    if (!(wanted in runtimes)) {
      throw new Error(
        `the Docker engine has no runtime "${wanted}" (RUN_RUNTIME); it has: ${Object.keys(runtimes).sort().join(', ') || 'none'}. Register it in the engine's daemon.json (see docs/security.md) or unset RUN_RUNTIME`,
      );
    }
  }

  async runtimes(): Promise<string[]> {
    try {
      return Object.keys(((await this.docker.info()) as { Runtimes?: Record<string, unknown> }).Runtimes ?? {}).sort();
    } catch (err) {
      throw infrastructure('read the engine info', err);
    }
  }

  async engineId(): Promise<string> {
    let info: { ID: string; Name: string; DockerRootDir: string };
    try {
      info = (await this.docker.info()) as typeof info;
    } catch (err) {
      throw infrastructure('read the engine info', err);
    }
    return engineIdOf(info);
  }

  async imageIdentity(handle: ContainerHandle, ref: string): Promise<string | undefined> {
    return containerImageIdentity(this.docker, handle.id, ref);
  }

  async resolveDigest(image: string): Promise<string | undefined> {
    const ref = pinnedImageRef(image);
    if (ref.includes('@')) return ref;
    let digests: string[];
    try {
      digests = (await this.docker.getImage(ref).inspect()).RepoDigests ?? [];
    } catch (err) {
      if (statusOf(err) === NOT_FOUND) return undefined;
      throw infrastructure('inspect the image', err);
    }
    // The digest of this image's own repository; one of another repository would pull from elsewhere.
    const repo = ref.slice(0, ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref.lastIndexOf(':') : ref.length);
    return digests.find((d) => d.startsWith(`${repo}@`));
  }

  async prepare(spec: RunSpec, onPulled?: () => Promise<void> | void, opts: PrepareOptions = {}): Promise<ContainerHandle> {
    const existing = opts.firstDelivery ? undefined : await this.findOwned(spec);
    if (existing) return existing;
    const image = pinnedImageRef(spec.image);
    // Made once per engine; every later run has it at once.
    const size = await outputSize(this.keeper, this.opts.output);
    const create = containerSpec({
      deployment: this.opts.deployment,
      runId: spec.runId,
      name: spec.name,
      image,
      limits: spec.limits,
      ...(spec.gpuDevices && { gpuDevices: spec.gpuDevices }),
      // A benchmark's model may run under a runtime of its own; RUN_RUNTIME is the default.
      policy: spec.runtime ? { ...this.opts.policy, runtime: spec.runtime } : this.opts.policy,
      ...(spec.benchmark && { benchmark: spec.benchmark }),
      ...(spec.owner && { owner: spec.owner }),
      output: size,
    });
    // The output volume is held by its keeper before the container exists (output-volume.ts).
    const output = outputOf({ deployment: this.opts.deployment, runId: spec.runId, output: size });
    const hold = (): Promise<void> => holdOutput(this.docker, this.keeper, output, create.Labels);
    // A run's image is almost always on the host already: the container is created at once,
    // beside looking the image up (its id, or a pull), rather than after it; that look-up was a
    // round trip of idle time on every run's critical path. Without the image, create says 404
    // and is made again once the image is pulled.
    const early = hold().then(() => this.createOnce(create, spec, hold));
    early.catch(() => undefined);
    let imageId: string;
    try {
      imageId = await this.images.ensure(image, opts.onPullProgress && { onProgress: opts.onPullProgress });
    } catch (err) {
      const made = await early.catch(() => undefined);
      if (made?.kind === 'created') await this.remove({ id: made.id }).catch(() => undefined);
      else if (made?.kind !== 'adopted') await releaseOutput(this.docker, output.container).catch(() => undefined);
      throw err;
    }
    await onPulled?.();
    let made = await early;
    if (made.kind === 'missing') made = await this.createOnce(create, spec, hold);
    if (made.kind === 'missing') {
      await releaseOutput(this.docker, output.container).catch(() => undefined);
      throw new ModelFault('image_not_found', `image ${image} disappeared before its container could be created`);
    }
    if (made.kind === 'adopted') return made.handle;
    const id = made.id;
    // Whether an image ships files in /output is a property of the image: check each one once.
    if (!this.emptyOutputImages.has(imageId)) {
      await this.checkOutputEmpty(id);
      this.emptyOutputImages.add(imageId);
    }
    return { id, runId: spec.runId, adopted: false, state: 'created' };
  }

  /** One create: the new container's id, the container another delivery of the run made first, or the image missing. */
  private async createOnce(
    create: Docker.ContainerCreateOptions,
    spec: RunSpec,
    hold: () => Promise<void>,
    again = true,
  ): Promise<{ kind: 'created'; id: string } | { kind: 'adopted'; handle: ContainerHandle } | { kind: 'missing' }> {
    try {
      return { kind: 'created', id: (await this.docker.createContainer(create)).id };
    } catch (err) {
      // Another delivery of the same run got there first: adopt its container.
      if (statusOf(err) === CONFLICT) {
        const raced = await this.findOwned(spec);
        if (raced) return { kind: 'adopted', handle: raced };
        // The name was held by a container findOwned removed (an older fence's, or a dead one),
        // and its output volume and keeper with it: they are made again first.
        if (again) {
          await hold();
          return this.createOnce(create, spec, hold, false);
        }
      }
      if (statusOf(err) === NOT_FOUND) return { kind: 'missing' };
      throw infrastructure('create the container', err);
    }
  }

  async start(handle: ContainerHandle): Promise<ContainerHandle> {
    if (handle.state !== 'created') return handle;
    // Listening before the start, so no kill of the container can go unseen.
    await this.events.ensureOpen();
    try {
      await this.docker.getContainer(handle.id).start();
    } catch (err) {
      if (statusOf(err) !== NOT_MODIFIED) throw infrastructure('start the container', err);
    }
    return { ...handle, state: 'running', startedAt: new Date().toISOString() };
  }

  async wait(handle: ContainerHandle, limits: AppliedLimits, opts: WaitOptions = {}): Promise<ExitInfo> {
    const startedMs = handle.startedAt ? Date.parse(handle.startedAt) : Date.now();
    const deadlineMs = startedMs + limits.timeoutSeconds * 1000;
    // An adopted container, or a stream the engine closed when it restarted: listen (again).
    await this.events.ensureOpen();
    const stopped = await waitForStop(this.docker, handle.id, deadlineMs, opts, () => this.stop(handle.id));
    let verdict: StopVerdict;
    try {
      verdict = judgeStop(await this.stopFacts(handle, stopped, deadlineMs, opts.engineLostAt ?? []));
    } finally {
      this.events.forget(handle.id);
    }
    switch (verdict.kind) {
      case 'vanished':
        throw new InfrastructureError(`docker: the container of run ${handle.runId} vanished while it ran`);
      case 'unseen':
        // The retry's adoption judges the exited container by this moment (engine-restart.ts).
        throw new EngineLostError(`docker: the container stopped (exit code ${verdict.exitCode}) while the engine's event stream was down, so who stopped it cannot be told`, new Date().toISOString());
      case 'stopped':
        // The engine may have restarted under a container that kept running (live-restore),
        // dropping its held output: the run's end decides whether that cost the run (faults.ts).
        return this.events.cutSince(startedMs) ? { ...verdict.exit, engineLostWhileRunning: true } : verdict.exit;
    }
  }

  /** What judgeStop needs, asked of the engine and its event stream; nothing is decided here. */
  private async stopFacts(handle: ContainerHandle, stopped: StopReason, deadlineMs: number, engineLostAt: readonly string[]): Promise<StopFacts> {
    const info = await this.inspect(handle.id);
    const exitCode = info ? (info.State.ExitCode ?? null) : null;
    const foundExited = handle.state === 'exited';
    // A failed exit waits briefly for the kill and die events to arrive; a clean one pays nothing.
    const seen = await this.events.seen(handle.id, info !== undefined && exitCode !== 0);
    return {
      stoppedAtDeadline: stopped.timedOut,
      stoppedOnCancel: stopped.cancelled,
      deadlineMs,
      ...(info && {
        state: {
          exitCode,
          oomKilled: info.State.OOMKilled === true,
          startedAt: engineTime(info.State.StartedAt),
          finishedAt: engineTime(info.State.FinishedAt),
          user: info.Config.User ?? '',
        },
      }),
      foundExited,
      kills: seen.kills,
      ownStop: seen.ownStop,
      streamConnected: this.events.listening,
      engineLostAt,
      // Asked only when it can matter: an exited container adopted after the engine was lost.
      liveRestore: foundExited && engineLostAt.length > 0 && (await this.liveRestore()),
      // Asked only for a failure with no stop or kill to explain it, seen by this delivery.
      engineClosing:
        exitCode !== 0 && exitCode !== null && !foundExited && !seen.ownStop && seen.kills.length === 0 && !stopped.timedOut && !stopped.cancelled && (await engineRefusesConnections(this.docker)),
    };
  }

  async collect(handle: ContainerHandle, opts: CollectOptions = {}): Promise<OutputContents> {
    let stream: Readable;
    try {
      stream = (await this.docker.getContainer(handle.id).getArchive({ path: OUTPUT_DIR })) as unknown as Readable;
    } catch (err) {
      if (statusOf(err) === NOT_FOUND) return { entries: 0, sample: [], totalBytes: 0, problem: `${OUTPUT_DIR} is missing from the container` };
      throw infrastructure('copy the output folder', err);
    }
    let output: OutputContents;
    try {
      output = await readOutputArchive(stream, { ...this.opts.output, ...(opts.note && { note: { name: opts.note, maxBytes: 1024 } }), ...(opts.details && { details: opts.details }) });
    } catch (err) {
      // The archive broke off (the engine went down mid-copy): retried, never the model's fault.
      throw infrastructure('read the output folder', err);
    }
    // An empty output is asked about once more: read while no keeper held its volume, it is an
    // empty tmpfs the engine mounted for the copy, not what the model left (faults.ts decideEnd).
    if (output.entries === 0) {
      const name = (await this.inspect(handle.id))?.Name.replace(/^\//, '');
      if (name && !(await outputHeld(this.docker, outputOwnerOf(name)))) output.dropped = true;
      // An engine told to stop still serves the connections it has, and still started this
      // run's container on one (the fault soak: a model that wrote its score and exited 0 read
      // back empty, its keeper "running", and the engine was gone 2 s later). What it answers
      // then is not the model's to answer for.
      else if (await engineRefusesConnections(this.docker)) Object.assign(output, { dropped: true, engineClosing: true });
    }
    return output;
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
    // Its name says which output volume and keeper go with it (output-volume.ts).
    const name = (await this.inspect(handle.id))?.Name.replace(/^\//, '');
    try {
      await this.docker.getContainer(handle.id).remove({ force: true, v: true });
    } catch (err) {
      // Gone already, or another worker is removing it: either way it will not be left behind.
      if (statusOf(err) === NOT_FOUND || (statusOf(err) === CONFLICT && /in progress/.test(daemonMessage(err)))) return;
      throw infrastructure('remove the container', err);
    }
    if (name) await releaseOutput(this.docker, outputOwnerOf(name));
  }

  async removeRun(runId: string): Promise<void> {
    const handle = await this.find(runId);
    if (handle) await this.remove(handle);
    // A keeper whose container was never created (a failed prepare) is not found by the name above.
    else await releaseOutput(this.docker, containerName(this.opts.deployment, runId));
  }

  async stopRun(runId: string, opts: { runningLongerThanSeconds?: number } = {}): Promise<boolean> {
    const handles = await Promise.all([this.find(runId), this.find(runId, evaluatorContainerName(this.opts.deployment, runId))]);
    // Measured from the engine's own start time: its creation can be seconds earlier.
    const longEnough = (h: ContainerHandle): boolean =>
      opts.runningLongerThanSeconds === undefined || (h.startedAt !== undefined && Date.now() - Date.parse(h.startedAt) > opts.runningLongerThanSeconds * 1000);
    const stopped = await Promise.all(handles.map((h) => (h && longEnough(h) ? this.stop(h.id) : false)));
    return stopped.some(Boolean);
  }

  async prepareEvaluation(spec: EvaluationSpec, model: ContainerHandle | KeptPredictions, opts: EvaluationOptions = {}): Promise<ContainerHandle> {
    return prepareEvaluation(this.evaluationDeps(), spec, model, opts);
  }

  async removeEvaluation(runId: string): Promise<void> {
    await removeEvaluation(this.evaluationDeps(), runId);
  }

  async listPredictionVolumes(): Promise<{ name: string; runId: string }[]> {
    return listPredictionVolumes(this.docker, this.opts.deployment);
  }

  async outputHoldReport(handle: Pick<ContainerHandle, 'id'>): Promise<OutputHoldReport> {
    return outputHoldReport(this.docker, handle.id);
  }

  private evaluationDeps(): EvaluationDeps {
    const { docker, opts } = this;
    return {
      docker,
      deployment: opts.deployment,
      policy: opts.policy,
      output: opts.output,
      find: (name, runId) => this.find(runId, name),
      findOwned: (name, spec) => this.findOwned(spec, name),
      remove: (h) => this.remove(h),
      images: this.images,
      keeper: this.keeper,
    };
  }

  async gpuDevicesInUse(): Promise<GpuDevicesInUse[]> {
    let list: Docker.ContainerInfo[];
    try {
      // Every deployment's: the devices are the host's, whoever started the container.
      list = await this.docker.listContainers({ all: true, filters: { label: [LABELS.gpuDevices] } });
    } catch (err) {
      throw infrastructure('list containers', err);
    }
    return list.map((c) => ({
      runId: c.Labels[LABELS.runId] ?? '',
      deployment: c.Labels[LABELS.deployment] ?? '',
      devices: (c.Labels[LABELS.gpuDevices] ?? '').split(',').filter(Boolean),
    }));
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
    // A keeper goes with its container (remove releases it); one whose container is gone (a
    // crash between the two creates) is listed, so the reconciler removes it like any other.
    const nameOf = (c: Docker.ContainerInfo): string => (c.Names[0] ?? '').replace(/^\//, '');
    const names = new Set(list.map(nameOf));
    const kept = list.filter((c) => c.Labels[LABELS.step] !== 'keeper' || !names.has(outputOwnerOf(nameOf(c))));
    return kept.map((c) => ({
      id: c.Id,
      runId: c.Labels[LABELS.runId] ?? '',
      state: c.State,
      ageSeconds: Math.max(0, now - c.Created),
      timeoutSeconds: Number(c.Labels[LABELS.timeoutSeconds] ?? 0),
      ...(c.Labels[LABELS.ownerFence] && { fence: Number(c.Labels[LABELS.ownerFence]) }),
    }));
  }

  /** Whether the engine keeps containers running through its own restart (live-restore). */
  private async liveRestore(): Promise<boolean> {
    try {
      return (await this.docker.info()).LiveRestoreEnabled === true;
    } catch (err) {
      throw infrastructure("read the engine's settings", err);
    }
  }

  /** @returns true if this call stopped a running container. */
  private async stop(id: string): Promise<boolean> {
    this.events.ownStop(id);
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

  /**
   * The run's container if it was made for the run's current owner. One left by an earlier
   * owner of this host (before another host took the run over and lost it again) is removed:
   * whatever it did belongs to a fence that no longer counts.
   */
  private async findOwned(spec: Pick<RunSpec, 'runId' | 'owner'>, name = containerName(this.opts.deployment, spec.runId)): Promise<ContainerHandle | undefined> {
    const info = await this.inspect(name);
    if (!info) return undefined;
    const fence = info.Config.Labels?.[LABELS.ownerFence];
    if (spec.owner && fence !== undefined && Number(fence) !== spec.owner.fence) {
      await this.remove({ id: info.Id });
      return undefined;
    }
    // A dead container (the engine failed to remove it, or died in the middle of an operation on
    // it) can be neither read nor started: adopting it failed each retry on its logs until the
    // run's attempts ran out (the fault soak met one after an engine restart). It is removed, so
    // the run gets a new container and runs again.
    if (info.State.Dead || info.State.Status === 'dead') {
      await this.remove({ id: info.Id });
      return undefined;
    }
    // A keeper that is gone or stopped (the engine restarted) took the output volume's contents
    // with it: a container that still runs holds the volume itself, so a new keeper joins it;
    // one that exited (or never started, and lost the image's /output copied at create) runs again.
    if (!(await outputHeld(this.docker, name))) {
      if (!info.State.Running) {
        await this.remove({ id: info.Id });
        return undefined;
      }
      const size = await outputSize(this.keeper, this.opts.output);
      await holdOutput(this.docker, this.keeper, outputOf({ deployment: this.opts.deployment, runId: spec.runId, output: size }, name), info.Config.Labels);
      // It may have exited before the keeper joined, and its output gone with the unmount.
      if (!(await this.inspect(info.Id))?.State.Running) {
        await this.remove({ id: info.Id });
        return undefined;
      }
    }
    return this.handleOf(info, spec.runId);
  }

  /** The run's model container by default; `name` finds its other containers (the evaluator's). */
  private async find(runId: string, name = containerName(this.opts.deployment, runId)): Promise<ContainerHandle | undefined> {
    const info = await this.inspect(name);
    return info && this.handleOf(info, runId);
  }

  private handleOf(info: Docker.ContainerInspectInfo, runId: string): ContainerHandle {
    const status = info.State.Status;
    const state: ContainerState = status === 'created' ? 'created' : status === 'running' || status === 'paused' || status === 'restarting' ? 'running' : 'exited';
    return { id: info.Id, runId, adopted: true, state, ...(state !== 'created' && { startedAt: engineTime(info.State.StartedAt) }) };
  }

  private async inspect(idOrName: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(idOrName).inspect();
    } catch (err) {
      if (statusOf(err) === NOT_FOUND) return undefined;
      throw infrastructure('inspect the container', err);
    }
  }

  /** An image that ships files in /output would have them copied into the run's output folder. */
  private async checkOutputEmpty(id: string): Promise<void> {
    let contents: OutputContents;
    try {
      contents = await readNewOutput(this.docker, id);
    } catch (err) {
      await this.remove({ id }).catch(() => undefined);
      throw err;
    }
    if (contents.entries === 0) return;
    await this.remove({ id });
    throw new ModelFault(
      'bad_output',
      `the image already has files in ${OUTPUT_DIR} (${contents.sample.join(', ')}${contents.entries > contents.sample.length ? ', ...' : ''}); the output folder must start empty, so remove them from the image`,
    );
  }
}
