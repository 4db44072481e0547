// Bytes and strings in tests.

/** A shared UTF-8 encoder. */
export const enc = new TextEncoder();
/** A shared UTF-8 decoder. */
export const dec = new TextDecoder();

/** The UTF-8 bytes of `s`. */
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** The string of the UTF-8 bytes `b`. */
export const str = (b: Uint8Array): string => dec.decode(b);

/**
 * The bytes of a byte string: one byte per char code (0..255), so `'r\x00\x00\x00\x01'` is
 * Go's binary id as written. Throws RangeError on a char above 0xff.
 */
export function bin(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`bin(): char ${c.toString(16)} at ${i} is not a byte`);
    out[i] = c;
  }
  return out;
}

/** The byte string of `b`: one char per byte (the inverse of {@link bin}). */
export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}
