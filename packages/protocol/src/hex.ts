// Fixed-width ASCII hex fields, read and written straight from and into byte buffers:
// no intermediate strings, no parseInt, one table lookup per digit.

/** Digit value for each byte, or -1 for a byte that is not [0-9a-fA-F]. */
const DIGIT = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) DIGIT[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  DIGIT[0x61 + i] = 10 + i;
  DIGIT[0x41 + i] = 10 + i;
}

/** Lowercase hex digit bytes by nibble value. */
const LOWER = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

/**
 * Reads `width` hex digits at `at` (upper or lower case). Returns the value (an unsigned
 * integer below 2^(4*width), exact up to width 8), or -1 when any byte is not a hex digit.
 */
export function readHex(buf: Uint8Array, at: number, width: number): number {
  let value = 0;
  for (let i = at, end = at + width; i < end; i++) {
    const d = DIGIT[buf[i]!]!;
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

/** Writes `value` as `width` lowercase hex digits at `at`; the caller guarantees it fits. */
export function writeHex(buf: Uint8Array, at: number, width: number, value: number): void {
  for (let i = at + width - 1; i >= at; i--) {
    buf[i] = LOWER[value % 16]!;
    value = Math.floor(value / 16);
  }
}
