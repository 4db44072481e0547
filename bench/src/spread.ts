/**
 * A figure measured in several passes: its median, the range of the passes (min–max) and the
 * middle half (first to third quartile), which decides whether a target can be judged.
 */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly q1: number;
  readonly q3: number;
  /** Passes that contributed. */
  readonly n: number;
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** The spread of `values` (non-finite ones dropped), or null when none is left. */
export function spreadOf(values: readonly number[]): Spread | null {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    n: sorted.length,
  };
}

/** Ratios of pass i of `a` to pass i of `b`, for the passes where both have a figure. */
export function pairedRatios<T>(a: readonly (T | null)[], b: readonly (T | null)[], pick: (v: T) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === null || x === undefined || y === null || y === undefined) continue;
    const d = pick(y);
    if (d > 0) out.push(pick(x) / d);
  }
  return out;
}
