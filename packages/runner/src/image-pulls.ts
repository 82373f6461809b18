import type Docker from 'dockerode';
import type { PullProgress } from '@modelrun/contracts';
import { infrastructure } from './docker-errors';
import { inspectImage, pullImage } from './docker-images';
import type { RegistryAuth } from './registry-auth';

/** A pull-ahead gave up on an image: it is larger than the bytes it may still pull ahead. */
export class PullTooLarge extends Error {
  constructor(
    readonly image: string,
    /** The image's download size as far as the engine had reported it (a lower bound). */
    readonly bytes: number,
  ) {
    super(`${image} is at least ${bytes} bytes to pull: more than pull-ahead may pull`);
    this.name = 'PullTooLarge';
  }
}

/**
 * An image this engine pulled: `bytes` is what it downloaded (layers it already had count for
 * nothing); when the engine did not say a downloaded layer's size, the image's size instead.
 */
export interface PulledImage {
  image: string;
  id: string;
  bytes: number;
  /** Pulled ahead of its run, not by a run's own prepare step. */
  ahead: boolean;
}

export type PullAheadResult = { state: 'present' | 'pulling' } | { state: 'pulled'; bytes: number };

/** The pulls of one engine, shared by the runs' prepare steps and the pull-ahead (see ImagePulls). */
export interface ImagePuller {
  /** The image's id, pulled first when the engine lacks it: a run's pull, which decides the run's fate. */
  ensure(image: string, opts?: { onProgress?: (progress: PullProgress) => void }): Promise<string>;
  /** Pulls an image ahead of its run; gives up (PullTooLarge) once it is known to be over `maxBytes`, unless a run has joined. */
  pullAhead(image: string, opts: { maxBytes: number }): Promise<PullAheadResult>;
  /** Images being pulled now, and whether each was started ahead of its run. */
  inFlight(): { image: string; ahead: boolean; bytesKnown: number }[];
  /** Sets who hears of pulls and uses (one observer; set at start-up). */
  observe(observer: ImagePullObserver): void;
  /** Gives up the pulls started ahead that no run waits on (at shutdown). */
  abortAhead(): void;
}

/** Who hears of pulls and uses (the worker's list of pulled images, for the operator to prune). */
export interface ImagePullObserver {
  /** Told of every image this engine pulled. */
  pulled?(pulled: PulledImage): void;
  /** Told of every image a run is about to use (pulled or already there). */
  used?(image: string): void;
}

interface InFlight {
  readonly ahead: boolean;
  /** A run waits on it: it is no longer the pull-ahead's to give up. */
  joinedByRun: boolean;
  readonly listeners: Set<(progress: PullProgress) => void>;
  last?: PullProgress;
  bytesKnown: number;
  readonly abandon: AbortController;
  done?: Promise<PulledImage>;
}

/**
 * One engine's image pulls, each image at most once at a time. A run whose image is already
 * being pulled (ahead of it, or by another run) waits on that pull and sees its progress,
 * instead of starting a second one. A failed pull-ahead decides nothing: the run then pulls
 * the image itself, and that pull's failure is classified as any run's.
 */
export class ImagePulls implements ImagePuller {
  private readonly pulls = new Map<string, InFlight>();
  private observer: ImagePullObserver = {};

  constructor(
    private readonly docker: Docker,
    private readonly credentials?: (image: string) => Promise<RegistryAuth | undefined>,
  ) {}

  observe(observer: ImagePullObserver): void {
    this.observer = observer;
  }

  async ensure(image: string, opts: { onProgress?: (progress: PullProgress) => void } = {}): Promise<string> {
    const present = await inspectImage(this.docker, image);
    const id = present ? present.id : await this.pullForRun(image, opts.onProgress);
    this.observer.used?.(image);
    return id;
  }

  async pullAhead(image: string, opts: { maxBytes: number }): Promise<PullAheadResult> {
    if (this.pulls.has(image)) return { state: 'pulling' };
    if (await inspectImage(this.docker, image)) return { state: 'present' };
    // A run may have started pulling it while we looked.
    if (this.pulls.has(image)) return { state: 'pulling' };
    const { bytes } = await this.start(image, { ahead: true, maxBytes: opts.maxBytes });
    return { state: 'pulled', bytes };
  }

  inFlight(): { image: string; ahead: boolean; bytesKnown: number }[] {
    return [...this.pulls].map(([image, p]) => ({ image, ahead: p.ahead, bytesKnown: p.bytesKnown }));
  }

  abortAhead(): void {
    for (const [image, p] of this.pulls) if (p.ahead && !p.joinedByRun) p.abandon.abort(new Error(`pull-ahead of ${image} stopped`));
  }

  private async pullForRun(image: string, onProgress?: (progress: PullProgress) => void): Promise<string> {
    const running = this.pulls.get(image);
    if (!running?.done) return (await this.start(image, { ahead: false, ...(onProgress && { onProgress }) })).id;
    running.joinedByRun = true;
    if (onProgress) {
      running.listeners.add(onProgress);
      if (running.last) onProgress(running.last);
    }
    try {
      return (await running.done).id;
    } catch (err) {
      if (!running.ahead) throw err;
    } finally {
      if (onProgress) running.listeners.delete(onProgress);
    }
    // The pull-ahead failed or gave up: the run's own pull decides (the failed one is gone from the map).
    return this.pullForRun(image, onProgress);
  }

  private start(image: string, how: { ahead: boolean; maxBytes?: number; onProgress?: (progress: PullProgress) => void }): Promise<PulledImage> {
    const entry: InFlight = { ahead: how.ahead, joinedByRun: !how.ahead, listeners: new Set(), bytesKnown: 0, abandon: new AbortController() };
    if (how.onProgress) entry.listeners.add(how.onProgress);
    // In the map before the first await, so no second pull of the image can start beside it.
    this.pulls.set(image, entry);
    const { credentials } = this;
    entry.done = (async (): Promise<PulledImage> => {
      try {
        const tracker = await pullImage(this.docker, image, {
          ...(credentials && { credentials: () => credentials(image) }),
          signal: entry.abandon.signal,
          onEvent: (t, progress) => {
            entry.bytesKnown = t.knownBytes();
            if (progress) {
              entry.last = progress;
              for (const listener of entry.listeners) listener(progress);
            }
            if (how.maxBytes !== undefined && !entry.joinedByRun && entry.bytesKnown > how.maxBytes) {
              entry.abandon.abort(new PullTooLarge(image, entry.bytesKnown));
            }
          },
        });
        const found = await inspectImage(this.docker, image);
        if (!found) throw infrastructure('inspect the pulled image', new Error(`${image} is not on the engine after its pull`));
        // A layer downloaded without saying its size leaves the count short (to 0 for a one-layer
        // image): the image's size on the host stands in, an upper bound, never a pull of 0 bytes.
        const bytes = tracker.hasUnsizedLayers() ? Math.max(tracker.knownBytes(), found.size) : (tracker.progress().bytesTotal ?? tracker.knownBytes());
        const pulled: PulledImage = { image, id: found.id, bytes, ahead: how.ahead };
        this.observer.pulled?.(pulled);
        return pulled;
      } finally {
        this.pulls.delete(image);
      }
    })();
    return entry.done;
  }
}
