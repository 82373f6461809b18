import type { AppliedLimits } from '@modelrun/contracts';
import type { CollectedLogs, ContainerHandle, ExitInfo, ModelRunner, OutputContents, PrepareOptions, RunSpec, WaitOptions } from '@modelrun/runner';

/** What the fake engine does for a run; each step may throw instead (a fault). */
export interface Script {
  /** The container prepare finds (adopted) or makes; or a fault. */
  prepare?: { adopted?: boolean } | Error;
  exit?: Partial<ExitInfo> | Error;
  /** What /output held (score.json's text), or a fault. */
  scoreJson?: string | Error;
  /** What else the read of /output found (a cap passed, a problem), over the score. */
  output?: Partial<OutputContents>;
  logs?: string;
  /** A removal the engine refuses (one still shutting down), after noting it. */
  removeFails?: Error;
  /** How long the container runs before wait answers (default: at once). */
  runMs?: number;
}

/**
 * A ModelRunner without an engine, for the processor's step logic; it notes every call. The
 * integration tests run the same processor on the real engine.
 */
export class FakeRunner implements ModelRunner {
  readonly calls: string[] = [];
  readonly specs: RunSpec[] = [];
  readonly removed: string[] = [];
  /** What the image resolves to in its registry, as a pulled image's RepoDigests say (undefined: none). */
  digest: string | undefined;

  constructor(public script: Script = {}) {}

  async resolveDigest(): Promise<string | undefined> {
    return this.digest;
  }

  async ping(): Promise<void> {}
  async engineId(): Promise<string> {
    return 'fake-engine';
  }

  async prepare(spec: RunSpec, onPulled?: () => Promise<void> | void, _opts?: PrepareOptions): Promise<ContainerHandle> {
    this.calls.push('prepare');
    this.specs.push(spec);
    const p = this.script.prepare ?? {};
    if (p instanceof Error) throw p;
    await onPulled?.();
    return { id: `c-${spec.runId}`, runId: spec.runId, adopted: p.adopted ?? false, state: p.adopted ? 'running' : 'created' };
  }

  async start(handle: ContainerHandle): Promise<ContainerHandle> {
    this.calls.push('start');
    return { ...handle, state: 'running', startedAt: handle.startedAt ?? '2026-01-01T00:00:01.000Z' };
  }

  async wait(_handle: ContainerHandle, _limits: AppliedLimits, _opts?: WaitOptions): Promise<ExitInfo> {
    this.calls.push('wait');
    if (this.script.runMs) await new Promise((r) => setTimeout(r, this.script.runMs));
    const e = this.script.exit ?? {};
    if (e instanceof Error) throw e;
    return { exitCode: 0, oomKilled: false, timedOut: false, cancelled: false, user: '', startedAt: '2026-01-01T00:00:01.000Z', finishedAt: '2026-01-01T00:00:04.000Z', ...e };
  }

  async collect(_handle: ContainerHandle): Promise<OutputContents> {
    this.calls.push('collect');
    const s = this.script.scoreJson ?? '{"score": 0.5}';
    if (s instanceof Error) throw s;
    return { entries: 1, sample: ['score.json'], totalBytes: s.length, score: { file: 'score.json', bytes: Buffer.from(s) }, ...this.script.output };
  }

  async logs(_handle: ContainerHandle): Promise<CollectedLogs> {
    this.calls.push('logs');
    return { bytes: Buffer.from(this.script.logs ?? 'training\n'), dropped: 0 };
  }

  async followLogs(_handle: ContainerHandle, _onData: (chunk: Buffer) => void, _signal: AbortSignal): Promise<boolean> {
    // Broke off at once: the processor asks logs() for the output, as after a lost stream.
    return false;
  }

  async remove(handle: Pick<ContainerHandle, 'id'>): Promise<void> {
    this.removed.push(handle.id);
    if (this.script.removeFails) throw this.script.removeFails;
  }

  async removeRun(runId: string): Promise<void> {
    this.removed.push(`by-name:${runId}`);
  }

  async stopRun(): Promise<boolean> {
    return false;
  }

  async gpuDevicesInUse(): Promise<never[]> {
    return [];
  }

  async listManaged(): Promise<never[]> {
    return [];
  }

  // Benchmark runs (a trusted evaluator beside the model) are not scripted here.
  async prepareEvaluation(): Promise<ContainerHandle> {
    throw new Error('the fake runner runs self-scored models only');
  }

  async removeEvaluation(runId: string): Promise<void> {
    this.removed.push(`evaluation:${runId}`);
  }

  async listPredictionVolumes(): Promise<never[]> {
    return [];
  }
}
