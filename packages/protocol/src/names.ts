// Op and notification names: UTF-8 on the wire. Names are short and almost always ASCII,
// so both directions take a per-character ASCII path and fall back to the text codecs.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // a leading U+FEFF is content here, not a byte-order mark

/** The UTF-8 byte length of `s` (lone surrogates count as U+FFFD, as TextEncoder writes them). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** Writes `s` as UTF-8 at `at`; `byteLength` is `utf8Length(s)`. */
export function writeUtf8(buf: Uint8Array, at: number, s: string, byteLength: number): void {
  if (byteLength === s.length) {
    for (let i = 0; i < byteLength; i++) buf[at + i] = s.charCodeAt(i);
  } else {
    encoder.encodeInto(s, buf.subarray(at, at + byteLength));
  }
}

/** Reads `length` UTF-8 bytes at `at` as a string (invalid sequences become U+FFFD). */
export function readUtf8(buf: Uint8Array, at: number, length: number): string {
  let ascii = '';
  for (let i = at, end = at + length; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x80) return decoder.decode(buf.subarray(at, end));
    ascii += String.fromCharCode(b);
  }
  return ascii;
}
