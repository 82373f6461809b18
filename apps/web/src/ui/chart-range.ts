/**
 * The value axis of a chart over runs: the values' own span with a margin, so 0.98 to 0.99
 * reads as a change and not as a flat line on 0 to 1.5; a single value (or all equal) gets a
 * small span around it.
 */
export function yRange(min: number | null, max: number | null): [number, number] {
  if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const span = max - min;
  const pad = span > 0 ? span * 0.15 : Math.max(Math.abs(max) * 0.02, 0.01);
  let lo = min - pad;
  let hi = max + pad;
  // Values that cannot go below zero (counts, rates, most scores) do not get a negative axis.
  if (min >= 0 && lo < 0) lo = 0;
  // Nor do shares in [0, 1] get an axis past 1.
  if (max <= 1 && hi > 1 && min >= 0) hi = 1;
  return [lo, hi];
}
