// A small seeded PRNG, so that every fuzz case can be replayed from its run seed and index.

/** A well-mixed 32-bit hash of `x` (the splitmix32 finalizer). */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The seed of case `index` of a run seeded with `runSeed`: cases are independent of each other. */
export function caseSeed(runSeed: number, index: number): number {
  return mix32(mix32(runSeed >>> 0) ^ mix32((index + 0x632be5ab) >>> 0));
}

/** `n` as 0x-prefixed 8-digit hex, the form seeds are printed and read in. */
export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** A deterministic random source (sfc32): the same seed gives the same sequence on every machine. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = mix32(seed);
    this.#b = mix32(seed ^ 0x5bd1e995);
    this.#c = mix32(seed ^ 0x27d4eb2f);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The next 32 random bits, as an unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** An integer in 0..n-1 (n ≥ 1). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** An integer in lo..hi, both included. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() < p * 0x100000000;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of table) total += w;
    let r = (this.u32() / 0x100000000) * total;
    for (const [w, v] of table) {
      if (r < w) return v;
      r -= w;
    }
    return table[table.length - 1]![1];
  }

  /** A length that is mostly small: 0..`small` usually, up to `large` now and then. */
  size(small: number, large: number): number {
    return this.chance(0.9) ? this.int(small + 1) : this.int(large + 1);
  }

  /**
   * `n` random-looking bytes without making them: a view of a fixed pool of random bytes at a
   * random offset (the caller must not write to it). For payload bodies, whose exact bytes matter little.
   */
  view(n: number): Uint8Array {
    if (n > POOL.length) return this.bytes(n);
    const at = this.int(POOL.length - n + 1);
    return POOL.subarray(at, at + n);
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      out[i] = v;
      if (i + 1 < n) out[i + 1] = v >>> 8;
      if (i + 2 < n) out[i + 2] = v >>> 16;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }
}

/** The bytes {@link Rng.view} hands out views of: 128 KiB, the same on every run. */
const POOL = new Rng(0x5eed).bytes(128 * 1024);
