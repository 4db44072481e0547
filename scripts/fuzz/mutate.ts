// Mutations of wire bytes: whole frames dropped, repeated or swapped (reusing their ids), then
// bytes flipped, inserted, deleted, spliced, their hex digits and case changed, sizes made huge.
import { invalidVectors, validVectors } from '../../packages/protocol/test/vectors.ts';
import type { Rng } from './rng.ts';
import { concatBytes, latin1Bytes } from './wire.ts';

/** Real wire vectors of the protocol's test table (the 1 MiB one left out): valid and invalid. */
export const CORPUS: readonly Uint8Array[] = [...validVectors.filter((v) => !v.large).map((v) => v.wire), ...invalidVectors.map((v) => v.wire)];

/** The valid vectors without a version handshake, that a peer can be fed after `01`. */
export const VALID_FRAMES: readonly Uint8Array[] = validVectors.filter((v) => !v.large && !v.version).map((v) => v.wire);

const INTERESTING = latin1Bytes('\x00\xff\x7f\x800fF9aAgG rspRSEehnf01-+x');
const HUGE_SIZES = ['ffffffff', 'FFFFFFFF', '7fffffff', '80000000', '00800001', '007fffff', '00000000', '00000001', 'fff'].map(latin1Bytes);
const HEX_DIGITS = latin1Bytes('0123456789abcdefABCDEF');

function isHexDigit(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** Frame-level mutations of a session's pieces: drop, repeat (reusing ids), swap, cut, or replace one by a vector. */
export function mutateFrames(rng: Rng, frames: Uint8Array[]): Uint8Array[] {
  const out = frames.slice();
  const n = rng.range(1, 3);
  for (let k = 0; k < n && out.length > 0; k++) {
    const i = rng.int(out.length);
    switch (rng.int(5)) {
      case 0:
        out.splice(i, 1);
        break;
      case 1:
        out.splice(rng.int(out.length + 1), 0, out[i]!);
        break;
      case 2: {
        const j = rng.int(out.length);
        [out[i], out[j]] = [out[j]!, out[i]!];
        break;
      }
      case 3:
        out[i] = out[i]!.subarray(0, rng.int(out[i]!.length));
        break;
      default:
        out.splice(i, 0, rng.pick(VALID_FRAMES));
    }
  }
  return out;
}

/** One byte-level mutation of `input` (`other` is a second input to splice in); returns new bytes. */
export function mutateBytes(rng: Rng, input: Uint8Array, other: () => Uint8Array): Uint8Array {
  const len = input.length;
  const at = rng.int(len + 1);
  switch (rng.int(11)) {
    case 0: {
      // flip a bit
      if (len === 0) return input;
      const out = input.slice();
      out[Math.min(at, len - 1)]! ^= 1 << rng.int(8);
      return out;
    }
    case 1: {
      // set a byte to an interesting value
      if (len === 0) return input;
      const out = input.slice();
      out[Math.min(at, len - 1)] = rng.chance(0.7) ? rng.pick([...INTERESTING]) : rng.int(256);
      return out;
    }
    case 2:
      // insert random or interesting bytes
      return concatBytes([
        input.subarray(0, at),
        rng.chance(0.5) ? rng.bytes(rng.range(1, 8)) : INTERESTING.subarray(rng.int(INTERESTING.length)),
        input.subarray(at),
      ]);
    case 3: {
      // delete a range
      const end = Math.min(len, at + rng.range(1, rng.chance(0.8) ? 4 : 64));
      return concatBytes([input.subarray(0, at), input.subarray(end)]);
    }
    case 4: {
      // repeat a range
      const end = Math.min(len, at + rng.range(1, 32));
      return concatBytes([input.subarray(0, end), input.subarray(at, end), input.subarray(end)]);
    }
    case 5: {
      // splice with another input: a prefix of this one and a suffix of the other, or the other inserted
      const b = other();
      if (rng.chance(0.5)) return concatBytes([input.subarray(0, at), b.subarray(rng.int(b.length + 1))]);
      return concatBytes([input.subarray(0, at), b, input.subarray(at)]);
    }
    case 6: {
      // change the case of hex letters (all or some)
      const out = input.slice();
      const all = rng.chance(0.3);
      for (let i = 0; i < len; i++) {
        const b = out[i]!;
        if ((b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)) if (all || rng.chance(0.3)) out[i] = b ^ 0x20;
      }
      return out;
    }
    case 7: {
      // replace a hex digit with another
      const out = input.slice();
      for (let tries = 0; tries < 8 && len > 0; tries++) {
        const i = rng.int(len);
        if (isHexDigit(out[i]!)) {
          out[i] = rng.pick([...HEX_DIGITS]);
          break;
        }
      }
      return out;
    }
    case 8: {
      // write a huge (or tiny) size over 8 bytes
      const size = rng.pick(HUGE_SIZES);
      const out = input.slice();
      out.set(size.subarray(0, Math.max(0, len - at)), at);
      return out;
    }
    case 9:
      // cut
      return input.subarray(0, at);
    default: {
      // swap the two halves around a point
      return concatBytes([input.subarray(at), input.subarray(0, at)]);
    }
  }
}
