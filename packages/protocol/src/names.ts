// Op and notification names: UTF-8 on the wire. Names are short and almost always ASCII,
// so both directions take a per-character ASCII path and fall back to the text codecs.

const encoder = new TextEncoder();
// A leading U+FEFF is content here, not a byte-order mark.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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

/**
 * Reads `length` bytes at `at` as a name. Valid UTF-8 reads as its text. Invalid bytes never
 * become U+FFFD (which would make `\xff` and `\xfe` the same name): each byte of an invalid
 * sequence becomes a lone surrogate U+DC80..U+DCFF, which no valid UTF-8 decodes to, so two
 * different byte strings always read as two different names. {@link isValidName} tells them apart.
 */
export function readUtf8(buf: Uint8Array, at: number, length: number): string {
  let ascii = '';
  for (let i = at, end = at + length; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x80) {
      const bytes = buf.subarray(at, end);
      try {
        return strict.decode(bytes);
      } catch {
        return decodeEscaped(bytes);
      }
    }
    ascii += String.fromCharCode(b);
  }
  return ascii;
}

/** The least code point a UTF-8 sequence of 1 + n bytes may encode (shorter ones are overlong). */
const LEAST = [0, 0x80, 0x800, 0x10000];

/**
 * UTF-8 where each byte of an invalid sequence becomes U+DC00 + byte (bytes >= 0x80 only).
 * A plain state machine: linear in the name's length whatever its bytes (a name of 4095 invalid
 * bytes costs no more than a valid one).
 */
function decodeEscaped(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    // Continuation bytes after a lead byte: 0 for ASCII and for bytes that cannot lead.
    const need = b < 0xc2 || b > 0xf4 ? 0 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
    let cp = b < 0x80 ? b : -1;
    if (need > 0 && i + need < bytes.length) {
      cp = b & (0x3f >> need);
      for (let j = 1; j <= need; j++) {
        const c = bytes[i + j]!;
        if ((c & 0xc0) !== 0x80) {
          cp = -1;
          break;
        }
        cp = (cp << 6) | (c & 0x3f);
      }
      if (cp < LEAST[need]! || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = -1;
    }
    if (cp < 0) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    } else {
      out += String.fromCodePoint(cp);
      i += need + 1;
    }
  }
  return out;
}

/**
 * True when `name` is well-formed Unicode: for a decoded name, when its wire bytes were valid
 * UTF-8. False for a name holding a lone surrogate (the decoder's mark for an invalid byte).
 */
export function isValidName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < name.length && (name.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    else return false;
  }
  return true;
}

/**
 * A name quoted for people and error texts: JSON-style, with each invalid wire byte shown as
 * `\xHH` (so `a\xffb` for the bytes 61 ff 62).
 */
export function quoteName(name: string): string {
  // JSON.stringify escapes lone surrogates as \udcHH: the decoder's invalid bytes become \xHH
  // (an escaped backslash is matched first, so a name's own "\udc80" text stays as it is).
  return JSON.stringify(name).replace(/\\(\\|udc[89a-f][0-9a-f])/g, (m, e: string) => (e === '\\' ? m : `\\x${e.slice(3)}`));
}
