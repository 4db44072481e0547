// Shrinks a failing input while the failure (same kind) still shows, within a budget of tries:
// removes ever smaller aligned ranges of bytes, then whole prefixes and suffixes of any length,
// and, once the input is small, any range at any offset (which drops a whole frame from the
// middle, whatever its size). Minimal-ish, and quick.
import { concatBytes } from './wire.ts';

/** Inputs this short get the any-range pass (its tries grow with the square of the length). */
const SMALL = 256;

type Fails = (candidate: Uint8Array) => Promise<boolean> | boolean;

/** The smallest input found that still fails; `fails` is asked at most `budget` times. */
export async function shrink(input: Uint8Array, fails: Fails, budget = 400): Promise<Uint8Array> {
  let current = input;
  let tries = 0;
  const attempt = async (candidate: Uint8Array): Promise<boolean> => {
    tries++;
    if (!(await fails(candidate))) return false;
    current = candidate;
    return true;
  };
  for (let before = Infinity; current.length < before && tries < budget;) {
    before = current.length;
    // Aligned ranges, halving in size.
    let size = 1;
    while (size * 2 <= current.length) size *= 2;
    for (; size >= 1 && tries < budget; size = Math.floor(size / 2)) {
      for (let at = 0; at < current.length && tries < budget;) {
        if (!(await attempt(concatBytes([current.subarray(0, at), current.subarray(at + size)])))) at += size;
      }
    }
    // Any range, longest first, once the input is small.
    if (current.length <= SMALL) {
      for (let len = current.length - 1; len >= 1 && tries < budget; len--) {
        for (let at = 0; at + len <= current.length && tries < budget; at++) {
          if (await attempt(concatBytes([current.subarray(0, at), current.subarray(at + len)]))) {
            len = Math.min(len, current.length);
            at = -1;
          }
        }
      }
    }
    // Prefixes and suffixes of any length, shortest first.
    for (let k = 1; k < current.length && tries < budget; k++) {
      if (await attempt(current.subarray(k))) k = 0;
    }
    for (let k = 1; k < current.length && tries < budget; k++) {
      if (await attempt(current.subarray(0, current.length - k))) k = 0;
    }
  }
  return current;
}
