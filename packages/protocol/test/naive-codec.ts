/**
 * A deliberately naive, string-based Gotalk v1 codec, written from the wire guide alone
 * (docs/protocol.md), sharing no code with @gotalk/protocol. Two uses:
 * - the oracle of the property tests: the real codec must give the same bytes and frames;
 * - the baseline of bench/codec.bench.ts.
 * It favours being obviously right over being fast: strings, padStart, parseInt, slices.
 * Type-only imports, so it also runs under plain type stripping.
 */
import type { Frame } from '@gotalk/protocol';

const encoder = new TextEncoder();
// Names and text are UTF-8; a leading U+FEFF is part of the name, so never strip it.
// Invalid sequences decode to U+FFFD, as any WHATWG decoder does in non-fatal mode.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Names as the decoder reads them: valid UTF-8 as text, each byte of an invalid sequence as
 * U+DC00 + byte. Done the slow, obvious way (the decoder runs a state machine instead, so the
 * two check each other): at each byte, the shortest run of 1..4 bytes that strictly decodes to
 * one character, else the escaped byte.
 */
function naiveName(bytes: Uint8Array): string {
  let out = '';
  outer: for (let i = 0; i < bytes.length;) {
    for (let len = 1; len <= 4 && i + len <= bytes.length; len++) {
      try {
        out += strict.decode(bytes.subarray(i, i + len));
        i += len;
        continue outer;
      } catch {
        // not one whole character (yet)
      }
    }
    out += String.fromCharCode(0xdc00 + bytes[i]!);
    i++;
  }
  return out;
}

/** `n` as `width` lowercase hex digits; throws RangeError when it is not an integer that fits. */
function hexField(n: number, width: number, what: string): string {
  if (!Number.isInteger(n) || n < 0 || n >= 16 ** width) throw new RangeError(`naive: ${what} ${n} does not fit ${width} hex digits`);
  return n.toString(16).padStart(width, '0');
}

/** Bytes to a string of the same length, one char (U+0000..U+00FF) per byte. */
function toLatin1(bytes: Uint8Array): string {
  let s = '';
  // fromCharCode.apply takes the typed array as its argument list (the spread operator would
  // walk an iterator, several times slower); 4 KiB at a time stays far below argument limits.
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}

/** A latin1 string back to bytes, one byte per char. */
function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The 4 id bytes, big-endian, as 4 latin1 chars. */
function idField(id: number): string {
  hexField(id, 8, 'request id');
  return String.fromCharCode((id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}

/** text3: 3 hex digits of the UTF-8 byte length, then those bytes (as latin1 chars). */
function nameField(name: string): string {
  const utf8 = encoder.encode(name);
  if (utf8.length < 1 || utf8.length > 0xfff) throw new RangeError(`naive: name of ${utf8.length} bytes is not 1..4095`);
  return hexField(utf8.length, 3, 'name length') + toLatin1(utf8);
}

/**
 * Encodes one frame. The header is built as a binary string (type letter, id chars, `padStart`
 * hex, the name's UTF-8 bytes as chars), turned into bytes at the end, and the payload appended.
 * Throws RangeError for a field out of its wire range.
 */
export function naiveEncode(frame: Frame): Uint8Array {
  let header: string;
  let payload: Uint8Array;
  switch (frame.type) {
    case 'r':
    case 's':
      header = frame.type + idField(frame.id) + nameField(frame.op);
      payload = frame.payload;
      break;
    case 'p':
    case 'R':
    case 'S':
    case 'E':
      header = frame.type + idField(frame.id);
      payload = frame.payload;
      break;
    case 'e':
      header = 'e' + idField(frame.id) + hexField(frame.wait, 8, 'wait');
      payload = frame.payload;
      break;
    case 'n':
      header = 'n' + nameField(frame.name);
      payload = frame.payload;
      break;
    case 'h':
      return fromLatin1('h' + hexField(frame.load, 4, 'load') + hexField(frame.time, 8, 'time'));
    case 'f':
      return fromLatin1('f' + hexField(frame.code, 8, 'code'));
  }
  const head = fromLatin1(header + hexField(payload.length, 8, 'payload size'));
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

/**
 * Decodes a complete byte string of frames (no version handshake, no size limit). The whole
 * buffer becomes one latin1 string, read with `slice` and `parseInt`; payloads are copies.
 * Throws a plain Error on an unknown type, a non-hex field, an empty name, or input that ends
 * inside a frame.
 */
export function naiveDecode(bytes: Uint8Array): Frame[] {
  const s = toLatin1(bytes);
  const frames: Frame[] = [];
  let i = 0;

  const take = (n: number): string => {
    if (i + n > s.length) throw new Error(`naive: input ends inside a frame at ${s.length}`);
    const part = s.slice(i, i + n);
    i += n;
    return part;
  };
  const hex = (width: number): number => {
    const digits = take(width);
    // parseInt alone would accept " 1", "+1", "0x1" and stop at junk: check the digits first.
    if (!/^[0-9a-fA-F]+$/.test(digits)) throw new Error(`naive: ${JSON.stringify(digits)} is not hex at ${i - width}`);
    return parseInt(digits, 16);
  };
  const id = (): number => {
    const chars = take(4);
    return chars.charCodeAt(0) * 0x1000000 + chars.charCodeAt(1) * 0x10000 + chars.charCodeAt(2) * 0x100 + chars.charCodeAt(3);
  };
  const name = (): string => {
    const length = hex(3);
    if (length === 0) throw new Error(`naive: empty name at ${i - 3}`);
    return naiveName(fromLatin1(take(length)));
  };
  const payload = (): Uint8Array => fromLatin1(take(hex(8)));

  while (i < s.length) {
    const type = take(1);
    switch (type) {
      case 'r':
      case 's': {
        const frameId = id();
        const op = name();
        frames.push({ type, id: frameId, op, payload: payload() });
        break;
      }
      case 'p':
      case 'R':
      case 'S':
      case 'E': {
        const frameId = id();
        frames.push({ type, id: frameId, payload: payload() });
        break;
      }
      case 'e': {
        const frameId = id();
        const wait = hex(8);
        frames.push({ type: 'e', id: frameId, wait, payload: payload() });
        break;
      }
      case 'n': {
        const frameName = name();
        frames.push({ type: 'n', name: frameName, payload: payload() });
        break;
      }
      case 'h': {
        const load = hex(4);
        frames.push({ type: 'h', load, time: hex(8) });
        break;
      }
      case 'f':
        frames.push({ type: 'f', code: hex(8) });
        break;
      default:
        throw new Error(`naive: unknown frame type ${JSON.stringify(type)} at ${i - 1}`);
    }
  }
  return frames;
}
