import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { LABELS } from '@modelrun/contracts';

/** How long to wait for a stopped container's `die` event before deciding without it. */
const DIE_WAIT_MS = 1_500;
/**
 * How long a `kill` may trail its container's `die`. The engine sends the signal, then logs the
 * `kill` event; a model that dies at once on the signal can have its `die` logged first (the
 * fault soak recorded such an engine-stopped 143 as the model's). Waited for only for a non-zero
 * exit with no kill seen yet.
 */
const KILL_AFTER_DIE_MS = 300;
/** Containers remembered at most (a run's are forgotten once it has been judged). */
const MAX_TRACKED = 10_000;

interface Seen {
  /** Signals of `kill` events, in order (the engine's stop and kill both send one). */
  kills: string[];
  died: boolean;
}

/**
 * Who stopped a container. The engine reports every `kill` it sends on its event stream, with
 * the signal, before the container's `die`; a model that exits by itself (even with code 143
 * after signalling itself) has no such event. The runner notes its own stops (time limit,
 * cancel), so a kill it did not send came from the engine shutting down (a restart, an
 * upgrade) or from someone else on the host: never the model's fault. One stream per runner,
 * opened before its first container starts, reopened when the engine comes back.
 */
export class EngineEvents {
  private readonly seen = new Map<string, Seen>();
  private readonly ownStops = new Set<string>();
  private readonly waiters = new Map<string, () => void>();
  private readonly killWaiters = new Map<string, () => void>();
  private opening: Promise<void> | undefined;
  private connected = false;

  constructor(
    private readonly docker: Docker,
    private readonly deployment: string,
  ) {}

  /** Opens the stream if it is not open; resolves once events are being delivered. */
  ensureOpen(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Whether the stream is connected now (it can tell who stopped a container). */
  get listening(): boolean {
    return this.connected;
  }

  /** This process is about to stop or kill the container (its time limit, a cancel). */
  ownStop(id: string): void {
    this.ownStops.add(id);
  }

  /**
   * The signal of a kill nobody in this process asked for, once the container has died; waits
   * briefly for its `die` event, and for a `kill` that may trail it. Undefined when the container
   * ended by itself, or when the stream was not connected to say otherwise.
   */
  async foreignKill(id: string): Promise<string | undefined> {
    if (!this.seen.get(id)?.died && this.connected) await this.waitFor(this.waiters, id, DIE_WAIT_MS);
    if (!this.seen.get(id)?.kills.length && this.connected) await this.waitFor(this.killWaiters, id, KILL_AFTER_DIE_MS);
    const seen = this.seen.get(id);
    if (!seen || this.ownStops.has(id)) return undefined;
    return seen.kills[0];
  }

  private async waitFor(waiters: Map<string, () => void>, id: string, ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      // Kept referenced: a caller waits on it, and a CLI with nothing else left to keep it alive
      // (the stream's socket is unref'd) exited with status 0 in the middle of judging a failed
      // run (CI's validate test of a model exiting 3). It is bounded by `ms`.
      const timer = setTimeout(resolve, ms);
      waiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    waiters.delete(id);
  }

  /** Like foreignKill, without waiting for the container's `die` event: what the stream has said so far. */
  foreignKillSeen(id: string): string | undefined {
    if (this.ownStops.has(id)) return undefined;
    return this.seen.get(id)?.kills[0];
  }

  /** The container has been judged: its events are no longer needed. */
  forget(id: string): void {
    this.seen.delete(id);
    this.ownStops.delete(id);
  }

  private async open(): Promise<void> {
    let stream: IncomingMessage;
    try {
      stream = (await this.docker.getEvents({
        filters: { type: ['container'], event: ['kill', 'die'], label: [`${LABELS.managed}=true`, `${LABELS.deployment}=${this.deployment}`] },
      })) as unknown as IncomingMessage;
    } catch {
      return; // The engine is away: the next start tries again.
    }
    this.connected = true;
    // The stream must never keep a process (a CLI, a test) alive on its own.
    stream.socket?.unref();
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        this.onEvent(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    const closed = (): void => {
      this.connected = false;
    };
    stream.on('end', closed);
    stream.on('close', closed);
    stream.on('error', closed);
  }

  private onEvent(line: string): void {
    let ev: { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    const id = ev.Actor?.ID;
    if (!id) return;
    let seen = this.seen.get(id);
    if (!seen) {
      if (this.seen.size >= MAX_TRACKED) this.seen.delete(this.seen.keys().next().value as string);
      seen = { kills: [], died: false };
      this.seen.set(id, seen);
    }
    if (ev.Action === 'kill') {
      seen.kills.push(ev.Actor?.Attributes?.signal ?? '?');
      this.killWaiters.get(id)?.();
    }
    if (ev.Action === 'die') {
      seen.died = true;
      this.waiters.get(id)?.();
    }
  }
}
