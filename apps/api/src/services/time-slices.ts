/**
 * Long work on the API's event loop, cut into slices of a bounded length, so requests are served
 * between them. A loop runs through `range()` a batch of steps at a time and, when the slice is
 * spent, pauses: the loop's I/O and timers run (setImmediate: after the poll phase) before the
 * next slice starts.
 */
export class TimeSlices {
  private ends: number;
  /** Pauses taken so far. */
  pauses = 0;

  /**
   * @param sliceMs the longest a slice runs before it pauses; Infinity: never pauses (all in one go).
   * @param batch steps done between reads of the clock (default 256: tens of microseconds of work).
   */
  constructor(
    private readonly sliceMs: number,
    private readonly batch = 256,
  ) {
    this.ends = performance.now() + sliceMs;
  }

  /**
   * Calls `work(lo, hi)` over [0, n) a batch at a time, pausing between batches when the slice is
   * spent; stops early when `work` returns true. The loop lives in `work`, a plain function, so V8
   * optimises it as it would the loop written in one go. `batch`: steps per call, when a step is
   * longer than usual.
   */
  async range(n: number, work: (lo: number, hi: number) => boolean | void, batch = this.batch): Promise<void> {
    for (let lo = 0; lo < n; lo += batch) {
      if (work(lo, Math.min(lo + batch, n)) === true) return;
      if (performance.now() >= this.ends) await this.pause();
    }
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
  await slices.range(
    Math.ceil(n / chunk),
    (first, last) => {
      for (let c = first; c < last; c++) for (const item of items.slice(c * chunk, (c + 1) * chunk).sort(compare)) from.push(item);
    },
    1,
  );
  let to: T[] = new Array<T>(n);
  for (let width = chunk; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let a = lo;
      let b = mid;
      const [src, dst] = [from, to];
      await slices.range(hi - lo, (first, last) => {
        for (let k = lo + first; k < lo + last; k++)
          // Ties take the left item first, as a stable sort would (with a total order there are none).
          dst[k] = b >= hi || (a < mid && compare(src[a]!, src[b]!) <= 0) ? src[a++]! : src[b++]!;
      });
    }
    [from, to] = [to, from];
  }
  return from;
}
