/**
 * What a {@link Histogram} says, in milliseconds: the same fields as piscina's histogram
 * summaries (`average` and `mean` are the same figure; `p2_5` is the 2.5th percentile, `p99_9`
 * the 99.9th), plus `count`. Every figure is 0 while nothing is recorded.
 */
export interface HistogramSummary {
  readonly count: number;
  readonly average: number;
  readonly mean: number;
  readonly stddev: number;
  readonly min: number;
  readonly max: number;
  readonly p0_001: number;
  readonly p0_01: number;
  readonly p0_1: number;
  readonly p1: number;
  readonly p2_5: number;
  readonly p10: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p90: number;
  readonly p97_5: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly p99_99: number;
  readonly p99_999: number;
}

/** The percentiles of a summary, by field. */
const PERCENTILES = [
  ['p0_001', 0.001],
  ['p0_01', 0.01],
  ['p0_1', 0.1],
  ['p1', 1],
  ['p2_5', 2.5],
  ['p10', 10],
  ['p25', 25],
  ['p50', 50],
  ['p75', 75],
  ['p90', 90],
  ['p97_5', 97.5],
  ['p99', 99],
  ['p99_9', 99.9],
  ['p99_99', 99.99],
  ['p99_999', 99.999],
] as const;

/** Sub-buckets per power of two: a value is placed within 1/32 (about 3 %) of itself. */
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;

/** The bucket of a value in microseconds: exact below 2 × SUB, then SUB buckets per power of two. */
function bucketOf(us: number): number {
  if (us < 2 * SUB) return us;
  const exponent = us < 2 ** 32 ? 31 - Math.clz32(us) : Math.floor(Math.log2(us));
  const shift = exponent - SUB_BITS;
  return (shift + 1) * SUB + (Math.floor(us / 2 ** shift) - SUB);
}

/** The middle of a bucket, in microseconds. */
function middleOf(bucket: number): number {
  if (bucket < 2 * SUB) return bucket;
  const shift = Math.floor(bucket / SUB) - 1;
  const low = (SUB + (bucket % SUB)) * 2 ** shift;
  return low + 2 ** shift / 2;
}

/**
 * Durations in ms, kept in log-linear buckets of microseconds (HDR-style): memory grows with the
 * range of values, never with their number (at most a few thousand buckets); percentiles are
 * within about 3 % of the true value (to the µs below 64 µs), while count, min, max, mean and
 * stddev are exact.
 */
export class Histogram {
  #buckets: number[] = [];
  #count = 0;
  #sum = 0;
  #sumSquares = 0;
  #min = Infinity;
  #max = 0;

  /** Values recorded since the last reset. */
  get count(): number {
    return this.#count;
  }

  /** Records one duration in ms (negative values count as 0). */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const b = bucketOf(Math.round(v * 1000));
    const buckets = this.#buckets;
    while (buckets.length <= b) buckets.push(0);
    buckets[b]!++;
    this.#count++;
    this.#sum += v;
    this.#sumSquares += v * v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /** Forgets everything recorded. */
  reset(): void {
    this.#buckets = [];
    this.#count = this.#sum = this.#sumSquares = this.#max = 0;
    this.#min = Infinity;
  }

  /** The value at percentile `p` (0..100), in ms, clamped to the recorded min and max. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    const buckets = this.#buckets;
    for (let b = 0; b < buckets.length; b++) {
      seen += buckets[b]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, middleOf(b) / 1000));
    }
    return this.#max;
  }

  /** Everything at once (see {@link HistogramSummary}). */
  summary(): HistogramSummary {
    const n = this.#count;
    const mean = n === 0 ? 0 : this.#sum / n;
    const variance = n === 0 ? 0 : Math.max(0, this.#sumSquares / n - mean * mean);
    const out: Record<string, number> = { count: n, average: mean, mean, stddev: Math.sqrt(variance), min: n === 0 ? 0 : this.#min, max: this.#max };
    for (const [name, p] of PERCENTILES) out[name] = this.percentile(p);
    return out as unknown as HistogramSummary;
  }
}
