import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import { LABELS } from '@modelrun/contracts';

/** How long to wait for a stopped container's `die` event before deciding without it. */
const DIE_WAIT_MS = 1_500;
/**
 * How long a `kill` may trail its container's `die`. The engine sends the signal, then logs the
 * `kill` event; a model that dies at once on the signal can have its `die` logged first (the
 * fault soak recorded such an engine-stopped 143 as the model's).
 */
const KILL_AFTER_DIE_MS = 300;
/** Containers remembered at most (a run's are forgotten once it has been judged). */
const MAX_TRACKED = 10_000;

/** What the stream said of one container, and whether this process stopped it. */
export interface SeenStop {
  /** Signals of `kill` events, in order (the engine's stop and kill both send one). */
  kills: string[];
  /** This process asked for the stop (a time limit, a cancel). */
  ownStop: boolean;
}

interface Watched extends SeenStop {
  died: boolean;
  /** Called on each event for the container, while someone waits on it. */
  wake?: () => void;
}

/**
 * The engine's `kill` and `die` events for this deployment's containers: the facts from which
 * judgeStop (stop-verdict.ts) tells who stopped a container. The engine reports every kill it
 * sends, with the signal, before the container's `die`; a model that exits by itself (even
 * with code 143 after signalling itself) has none. One stream per runner, opened before its
 * first container starts, reopened when the engine comes back.
 */
export class EngineEvents {
  private readonly watched = new Map<string, Watched>();
  private opening: Promise<void> | undefined;
  private connected = false;
  /** When the stream was last cut (epoch ms): the engine restarted or went away, or the connection broke. */
  private cutAt = 0;

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

  /** Whether the stream is connected now (an absent kill then means none was sent). */
  get listening(): boolean {
    return this.connected;
  }

  /** Whether the stream was cut at or after `ms` (epoch ms): the engine may have restarted since. */
  cutSince(ms: number): boolean {
    return this.cutAt >= ms;
  }

  /** This process is about to stop or kill the container (its time limit, a cancel). */
  ownStop(id: string): void {
    this.entry(id).ownStop = true;
  }

  /**
   * What the stream has said of a stopped container. `settle`: first wait briefly for its `die`
   * event, and for a `kill` that may trail it (worth it only for a failed exit: a clean one pays
   * nothing).
   */
  async seen(id: string, settle: boolean): Promise<SeenStop> {
    if (settle) {
      await this.until(id, (w) => w.died, DIE_WAIT_MS);
      await this.until(id, (w) => w.kills.length > 0, KILL_AFTER_DIE_MS);
    }
    const w = this.watched.get(id);
    return { kills: [...(w?.kills ?? [])], ownStop: w?.ownStop ?? false };
  }

  /** The container has been judged: its events are no longer needed. */
  forget(id: string): void {
    this.watched.delete(id);
  }

  private entry(id: string): Watched {
    let w = this.watched.get(id);
    if (!w) {
      if (this.watched.size >= MAX_TRACKED) this.watched.delete(this.watched.keys().next().value as string);
      w = { kills: [], died: false, ownStop: false };
      this.watched.set(id, w);
    }
    return w;
  }

  /** Waits up to `ms` for `done`; returns at once when it holds already or the stream cannot tell. */
  private async until(id: string, done: (w: Watched) => boolean, ms: number): Promise<void> {
    const w = this.entry(id);
    if (done(w) || !this.connected) return;
    await new Promise<void>((resolve) => {
      // Kept referenced: a caller waits on it, and a CLI with nothing else left to keep it alive
      // (the stream's socket is unref'd) exited with status 0 in the middle of judging a failed
      // run. It is bounded by `ms`.
      const timer = setTimeout(resolve, ms);
      w.wake = () => {
        if (!done(w)) return;
        clearTimeout(timer);
        resolve();
      };
    });
    w.wake = undefined;
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
    const closed = (): void => {
      if (this.connected) this.cutAt = Date.now();
      this.connected = false;
    };
    // One JSON event per line. readline passes on the stream's errors (a connection the
    // engine cut mid-event): handled here, never thrown.
    createInterface({ input: stream, crlfDelay: Infinity })
      .on('line', (line) => this.onEvent(line))
      .on('error', closed);
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
    const w = this.entry(id);
    if (ev.Action === 'kill') w.kills.push(ev.Actor?.Attributes?.signal ?? '?');
    if (ev.Action === 'die') w.died = true;
    w.wake?.();
  }
}
