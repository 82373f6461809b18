/**
 * Long work on the API's event loop, cut into slices of a bounded length, so requests are served
 * between them. A loop asks `due()` at each step (cheap: the clock is read every `checkEvery`
 * steps) and, when the slice is spent, awaits `pause()`, which lets the loop's I/O and timers run
 * (setImmediate: after the poll phase) before the next slice starts.
 */
export class TimeSlices {
  private ends: number;
  private steps = 0;
  /** Pauses taken so far. */
  pauses = 0;

  /**
   * @param sliceMs the longest a slice runs before it pauses; Infinity: never pauses (all in one go).
   * @param checkEvery steps between reads of the clock (default 256: a few microseconds of work).
   */
  constructor(
    private readonly sliceMs: number,
    private readonly checkEvery = 256,
  ) {
    this.ends = performance.now() + sliceMs;
  }

  /** True when the slice is spent: the caller should `await pause()`. */
  due(): boolean {
    if (++this.steps < this.checkEvery) return false;
    this.steps = 0;
    return performance.now() >= this.ends;
  }

  /** Yields to the event loop, then starts a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.pauses++;
    this.ends = performance.now() + this.sliceMs;
  }
}

/** Items sorted per chunk before merging: a chunk's native sort takes a millisecond or two. */
const SORT_CHUNK = 2048;

/**
 * `items.sort(compare)` cut into slices: chunks sorted natively, then merged pairwise (a bottom-up
 * merge sort). `compare` must be a total order (no two items equal unless identical): then every
 * correct sort, this one and the native one, gives the same order. Returns a new array.
 */
export async function sortInSlices<T>(items: readonly T[], compare: (a: T, b: T) => number, slices: TimeSlices, chunk = SORT_CHUNK): Promise<T[]> {
  const n = items.length;
  let from: T[] = [];
  for (let lo = 0; lo < n; lo += chunk) {
    for (const item of items.slice(lo, lo + chunk).sort(compare)) from.push(item);
    if (slices.due()) await slices.pause();
  }
  let to: T[] = new Array<T>(n);
  for (let width = chunk; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let a = lo;
      let b = mid;
      for (let k = lo; k < hi; k++) {
        // Ties take the left item first, as a stable sort would (with a total order there are none).
        to[k] = b >= hi || (a < mid && compare(from[a]!, from[b]!) <= 0) ? from[a++]! : from[b++]!;
        if (slices.due()) await slices.pause();
      }
    }
    [from, to] = [to, from];
  }
  return from;
}
