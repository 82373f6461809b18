/** A run waiting in the queue, as far as pulling its image ahead goes. */
export interface WaitingRun {
  /** The image as the run will pull it (pinned: `:latest` added when no tag). */
  image: string;
  gpus: number;
  benchmark?: string;
}

export interface PullAheadLimits {
  /** How many distinct images, from the head of the queue, are looked at (PULL_AHEAD_IMAGES). */
  images: number;
  /** Bytes pulled ahead and not yet taken by a run, at most (PULL_AHEAD_BYTES). */
  bytes: number;
  /** Pulls ahead at once. */
  parallel: number;
}

export interface PullAheadState {
  /** Images being pulled now, ahead of their runs or by runs, with the bytes known so far. */
  inFlight: readonly { image: string; ahead: boolean; bytesKnown: number }[];
  /** Images this worker pulled ahead, with their download size. */
  pulledAhead: ReadonlyMap<string, number>;
  /** Images to leave alone for now: already on the engine, or a pull ahead failed a moment ago. */
  resting: ReadonlySet<string>;
  /** Download sizes learned from pulls given up for being too large. */
  sizes: ReadonlyMap<string, number>;
}

export interface PullAheadPlan {
  /** Images to start pulling ahead now, each with the bytes it may take. */
  pull: { image: string; maxBytes: number }[];
  /** The distinct images at the head of the queue that this worker could take, in queue order. */
  window: string[];
  /** Bytes pulled (or being pulled) ahead for runs still waiting. */
  aheadBytes: number;
}

/**
 * Chooses what to pull ahead, from the runs waiting in queue order: only the first few
 * distinct images this worker could run, never one being pulled already, and only while the
 * bytes pulled ahead for runs still waiting stay under the cap. An image pulled ahead stops
 * counting once its runs have left the queue (a worker took them), which frees the budget.
 */
export function planPullAhead(waiting: readonly WaitingRun[], canTake: (run: WaitingRun) => boolean, state: PullAheadState, limits: PullAheadLimits): PullAheadPlan {
  const window: string[] = [];
  for (const run of waiting) {
    if (window.length >= limits.images) break;
    if (!window.includes(run.image) && canTake(run)) window.push(run.image);
  }
  const pulling = new Map(state.inFlight.map((p) => [p.image, p]));
  let aheadBytes = 0;
  for (const image of window) aheadBytes += state.pulledAhead.get(image) ?? 0;
  for (const p of state.inFlight) if (p.ahead) aheadBytes += p.bytesKnown;
  let slots = limits.parallel - state.inFlight.filter((p) => p.ahead).length;
  let room = limits.bytes - aheadBytes;
  const pull: PullAheadPlan['pull'] = [];
  for (const image of window) {
    if (slots <= 0 || room <= 0) break;
    if (pulling.has(image) || state.pulledAhead.has(image) || state.resting.has(image)) continue;
    // Known to be too large for what is left: a smaller image further on may still fit.
    const size = state.sizes.get(image);
    if (size !== undefined && size > room) continue;
    pull.push({ image, maxBytes: room });
    slots -= 1;
    room -= size ?? 0;
  }
  return { pull, window, aheadBytes };
}
