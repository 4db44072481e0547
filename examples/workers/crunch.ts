// The example's CPU-bound job: `rounds` steps of an integer hash, about 3 ns each (1.5 million
// rounds ≈ 5 ms on the machine of docs/performance.md). Pure, so any worker gets the same answer.

/** The hash of `seed` after `rounds` steps. */
export function crunch(rounds: number, seed: number): number {
  let x = seed >>> 0 || 1;
  let acc = 0;
  for (let i = 0; i < rounds; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    acc = (acc + (x & 0xff)) | 0;
  }
  return (acc ^ x) >>> 0;
}

/** Rounds for about 5 ms of work. */
export const FIVE_MS = 1_500_000;
