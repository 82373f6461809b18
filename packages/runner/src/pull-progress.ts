import type { PullProgress } from '@modelrun/contracts';

/** One line of the engine's pull stream. */
export interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
}

interface Layer {
  done: number;
  total?: number;
}

/**
 * Adds up the engine's per-layer pull events into bytes downloaded and, once every layer being
 * downloaded has reported its size, the total. Layers the host already has count for neither.
 */
export class PullTracker {
  private readonly layers = new Map<string, Layer>();

  /** @returns the progress after this event, or undefined when it changed nothing. */
  update(e: PullEvent): PullProgress | undefined {
    const id = e.id;
    if (!id || !e.status) return undefined;
    const layer = this.layers.get(id);
    switch (e.status) {
      case 'Pulling fs layer':
      case 'Waiting':
        if (!layer) this.layers.set(id, { done: 0 });
        return undefined;
      case 'Already exists':
        this.layers.delete(id);
        return undefined;
      case 'Downloading': {
        const d = e.progressDetail ?? {};
        const total = d.total && d.total > 0 ? d.total : layer?.total;
        this.layers.set(id, { done: Math.max(layer?.done ?? 0, d.current ?? 0), ...(total !== undefined && { total }) });
        return this.progress();
      }
      case 'Verifying Checksum':
      case 'Download complete':
        if (!layer) return undefined;
        if (layer.total !== undefined) layer.done = layer.total;
        return this.progress();
      default:
        return undefined;
    }
  }

  /**
   * Whether a layer being downloaded has not said its size. The engine reports a layer's bytes in
   * throttled progress lines, and a small layer fetched between two of them (200 KiB under CI's
   * load) goes from 'Pulling fs layer' to 'Download complete' with none: its bytes are unknown.
   */
  hasUnsizedLayers(): boolean {
    for (const l of this.layers.values()) if (l.total === undefined) return true;
    return false;
  }

  /** Bytes this pull downloads at least: the sizes known so far (a lower bound until every layer reported one). */
  knownBytes(): number {
    let n = 0;
    for (const l of this.layers.values()) n += l.total ?? l.done;
    return n;
  }

  progress(): PullProgress {
    let bytesDone = 0;
    let bytesTotal: number | undefined = 0;
    for (const l of this.layers.values()) {
      bytesDone += l.done;
      bytesTotal = l.total === undefined || bytesTotal === undefined ? undefined : bytesTotal + l.total;
    }
    return { bytesDone, ...(bytesTotal !== undefined && { bytesTotal }) };
  }
}

/**
 * Calls `fn` at most once per `ms`: the first call at once, later ones at the end of the window
 * with the latest value, so the last progress is never lost. `flush` sends a pending one now,
 * `cancel` drops it.
 */
export function throttled<T>(fn: (value: T) => void, ms: number): { call(value: T): void; flush(): void; cancel(): void } {
  let last = 0;
  let pending: { value: T } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const send = (): void => {
    timer = undefined;
    if (!pending) return;
    const { value } = pending;
    pending = undefined;
    last = Date.now();
    fn(value);
  };
  return {
    call(value) {
      pending = { value };
      if (timer) return;
      const wait = last + ms - Date.now();
      if (wait <= 0) send();
      else timer = setTimeout(send, wait);
    },
    flush() {
      if (timer) clearTimeout(timer);
      send();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
  };
}
