/**
 * The Gotalk v1 test vectors: real wire bytes and the frames they mean. One table drives the
 * encoder and decoder tests here and the peer and socket tests of the other packages.
 * Every worked example of the wire guide (docs/protocol.md) is in it, marked "(spec)" in its name.
 */
import type { CodecErrorCode, DecodedFrame, VersionFrame } from '@gotalk/protocol';

const utf8Encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is content, not a byte-order mark to strip.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The parts back to back as bytes. A string part is latin1: one byte per character, so
 * `'\x00\xff'` is two raw bytes; a character above U+00FF throws (write text with {@link utf8}).
 * A Uint8Array part is copied as it is.
 */
export function bytes(...parts: ReadonlyArray<string | Uint8Array>): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'string') {
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        if (c > 0xff) throw new RangeError(`bytes(): char U+${c.toString(16)} is not latin1; use utf8()`);
        out[at++] = c;
      }
    } else {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}

/** The UTF-8 bytes of `s`. */
export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** `u8` decoded as UTF-8 (a leading U+FEFF kept, invalid sequences as U+FFFD). */
export function text(u8: Uint8Array): string {
  return utf8Decoder.decode(u8);
}

/** The request id whose 4 wire bytes are the 4 latin1 chars of `s`: `idOf('0001') === 0x30303031`. */
export function idOf(s: string): number {
  const b = bytes(s);
  if (b.length !== 4) throw new RangeError(`idOf(): ${JSON.stringify(s)} is not 4 bytes`);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of `u8`, two digits a byte. */
export function hex(u8: Uint8Array): string {
  const out: string[] = new Array<string>(u8.length);
  for (let i = 0; i < u8.length; i++) out[i] = HEX[u8[i]!]!;
  return out.join('');
}

/** `u8` for people: printable ASCII as is, any other byte as `\xNN` (a backslash as `\\`). */
export function wireText(u8: Uint8Array): string {
  let s = '';
  for (const b of u8) {
    if (b === 0x5c) s += '\\\\';
    else if (b >= 0x20 && b <= 0x7e) s += String.fromCharCode(b);
    else s += `\\x${HEX[b]!}`;
  }
  return s;
}

/** The index of the first byte where `a` and `b` differ (the shorter length if one is a prefix), or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function canonicalValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return `hex:${hex(value)}`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj).sort()) out[key] = canonicalValue(obj[key]);
    return out;
  }
  return value;
}

/**
 * Each frame as one comparable string (sorted keys, payloads as hex). Equal frames give equal
 * strings whatever their key order and whether a payload is a view or a copy; compare these to
 * get a readable diff.
 */
export function canonical(frames: readonly DecodedFrame[]): string[] {
  return frames.map((f) => JSON.stringify(canonicalValue(f)));
}

function sameFrame(a: DecodedFrame, b: DecodedFrame): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    const x = (a as unknown as Record<string, unknown>)[key];
    const y = (b as unknown as Record<string, unknown>)[key];
    if (x instanceof Uint8Array) {
      if (!(y instanceof Uint8Array) || firstDifference(x, y) !== -1) return false;
    } else if (x !== null && typeof x === 'object') {
      if (y === null || typeof y !== 'object' || !sameFrame(x as DecodedFrame, y as DecodedFrame)) return false;
    } else if (!Object.is(x, y)) return false;
  }
  return true;
}

/** True when both lists hold equal frames in the same order: a fast check for hot loops (payloads compared byte by byte). */
export function sameFrames(a: readonly DecodedFrame[], b: readonly DecodedFrame[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameFrame(a[i]!, b[i]!)) return false;
  return true;
}

/** One row of the spec table: bytes on the wire and the frames they decode to. */
export interface ValidVector {
  /** What the row proves; "(spec)" marks an example from the wire guide. */
  readonly name: string;
  /** The wire bytes. */
  readonly wire: Uint8Array;
  /** The frames `wire` decodes to, in order (the version first when `version` is set). */
  readonly frames: readonly DecodedFrame[];
  /** `wire` starts with the `01` handshake: decode with `expectVersion`; `frames[0]` is the version. */
  readonly version?: boolean;
  /** `wire` decodes to `frames`, but the encoder writes other bytes for them (e.g. uppercase hex on input). */
  readonly decodeOnly?: boolean;
  /** Too large (over 64 KiB) to decode once per split offset; split tests sample offsets instead. */
  readonly large?: boolean;
}

/** One row of the invalid table: bytes the decoder must reject, with the code and stream offset it reports. */
export interface InvalidVector {
  readonly name: string;
  readonly wire: Uint8Array;
  /** Decode with the version handshake expected. */
  readonly expectVersion?: boolean;
  /** Decode with this `maxPayload`. */
  readonly maxPayload?: number;
  /** The frames delivered before the error (default none). */
  readonly delivered?: readonly DecodedFrame[];
  readonly code: CodecErrorCode;
  /** The stream byte offset of the error: the frame start for a bad type byte, the field start for a bad field. */
  readonly offset: number;
}

const EMPTY = new Uint8Array(0);
const V1: VersionFrame = { type: 'version', version: 1 };
/** The id written as `idid` in the wire guide's header vectors. */
const IDID = idOf('idid');
const ID0001 = idOf('0001');
const ABC = utf8('abc');
const HELLO_JSON = '{"message":"Hello World"}';

/** A 4095-byte ASCII op name: the longest name there is. */
const LONG_ASCII_NAME = Array.from({ length: 0xfff }, (_, i) => String.fromCharCode(0x61 + (i % 26))).join('');
/** A 4095-byte name of 1365 three-byte characters (only 1365 UTF-16 units). */
const LONG_EURO_NAME = '€'.repeat(1365);

/** 1 MiB of patterned bytes: the large-payload vector. */
const LARGE_PAYLOAD = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + 7) & 0xff);
/** Every byte value once, 0x00..0xff. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Ids whose bytes together are every byte value 0x00..0xff: 0x00010203, 0x04050607, ... */
const ALL_BYTE_IDS = Array.from({ length: 64 }, (_, k) => (((4 * k) << 24) | ((4 * k + 1) << 16) | ((4 * k + 2) << 8) | (4 * k + 3)) >>> 0);

/** Patterned payload of `n` bytes for the uppercase-hex vectors. */
const filler = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => 0x41 + (i % 26));

/** Valid wire bytes and their frames: every frame type, every guide example, every edge the format has. */
export const validVectors: readonly ValidVector[] = [
  // The version handshake.
  { name: 'version handshake 01 alone', wire: bytes('01'), frames: [V1], version: true },
  {
    name: 'version handshake followed by frames in the same bytes',
    wire: bytes('01h00025f63ee48f00000003'),
    frames: [V1, { type: 'h', load: 2, time: 0x5f63ee48 }, { type: 'f', code: 3 }],
    version: true,
  },

  // The observed exchanges of the wire guide.
  {
    name: 'echo exchange, request: 01r0001004echo00000019{...} (spec)',
    wire: bytes(`01r0001004echo00000019${HELLO_JSON}`),
    frames: [V1, { type: 'r', id: ID0001, op: 'echo', payload: utf8(HELLO_JSON) }],
    version: true,
  },
  {
    name: 'echo exchange, result: 01R000100000019{...} (spec)',
    wire: bytes(`01R000100000019${HELLO_JSON}`),
    frames: [V1, { type: 'R', id: ID0001, payload: utf8(HELLO_JSON) }],
    version: true,
  },
  {
    name: 'unknown operation, request: r0001004nope00000002{} (spec)',
    wire: bytes('r0001004nope00000002{}'),
    frames: [{ type: 'r', id: ID0001, op: 'nope', payload: utf8('{}') }],
  },
  {
    name: 'unknown operation, error result with a plain-text payload (spec)',
    wire: bytes('E000100000018unknown operation "nope"'),
    frames: [{ type: 'E', id: ID0001, payload: utf8('unknown operation "nope"') }],
  },
  {
    name: 'sjoin stream request: s with abc, p with de, empty p ends it (spec)',
    wire: bytes('s0001005sjoin00000003abc', 'p000100000002de', 'p000100000000'),
    frames: [
      { type: 's', id: ID0001, op: 'sjoin', payload: ABC },
      { type: 'p', id: ID0001, payload: utf8('de') },
      { type: 'p', id: ID0001, payload: EMPTY },
    ],
  },
  {
    name: 'sjoin stream result: S with ABC, S with DE, empty S ends it (spec)',
    wire: bytes('S000100000003ABC', 'S000100000002DE', 'S000100000000'),
    frames: [
      { type: 'S', id: ID0001, payload: utf8('ABC') },
      { type: 'S', id: ID0001, payload: utf8('DE') },
      { type: 'S', id: ID0001, payload: EMPTY },
    ],
  },
  {
    name: 'streams disabled: s answered by E "stream requests not supported" (spec)',
    wire: bytes('s0001005sjoin00000003abc', 'E00010000001dstream requests not supported'),
    frames: [
      { type: 's', id: ID0001, op: 'sjoin', payload: ABC },
      { type: 'E', id: ID0001, payload: utf8('stream requests not supported') },
    ],
  },
  {
    name: 'retry result e00020000024900000012: wait 0x249 = 585 ms, "request rate limit" (spec)',
    wire: bytes('e00020000024900000012request rate limit'),
    frames: [{ type: 'e', id: idOf('0002'), wait: 585, payload: utf8('request rate limit') }],
  },
  { name: 'protocol error f00000003: timeout (spec)', wire: bytes('f00000003'), frames: [{ type: 'f', code: 3 }] },
  { name: 'protocol error f00000002: invalid message (spec)', wire: bytes('f00000002'), frames: [{ type: 'f', code: 2 }] },

  // The header vectors of the wire guide, id `idid`.
  {
    name: 'r with empty payload: ridid004echo00000000 (spec)',
    wire: bytes('ridid004echo00000000'),
    frames: [{ type: 'r', id: IDID, op: 'echo', payload: EMPTY }],
  },
  {
    name: 's: sidid004echo00000003abc (spec)',
    wire: bytes('sidid004echo00000003abc'),
    frames: [{ type: 's', id: IDID, op: 'echo', payload: ABC }],
  },
  { name: 'p: pidid00000003abc (spec)', wire: bytes('pidid00000003abc'), frames: [{ type: 'p', id: IDID, payload: ABC }] },
  { name: 'R: Ridid00000003abc (spec)', wire: bytes('Ridid00000003abc'), frames: [{ type: 'R', id: IDID, payload: ABC }] },
  { name: 'S: Sidid00000003abc (spec)', wire: bytes('Sidid00000003abc'), frames: [{ type: 'S', id: IDID, payload: ABC }] },
  { name: 'E: Eidid00000003abc (spec)', wire: bytes('Eidid00000003abc'), frames: [{ type: 'E', id: IDID, payload: ABC }] },
  {
    name: 'e with wait 6 ms: eidid0000000600000003abc (spec)',
    wire: bytes('eidid0000000600000003abc'),
    frames: [{ type: 'e', id: IDID, wait: 6, payload: ABC }],
  },
  {
    name: 'n: n005hello00000003abc (spec)',
    wire: bytes('n005hello00000003abc'),
    frames: [{ type: 'n', name: 'hello', payload: ABC }],
  },
  {
    name: 'n with a 1-byte name and empty payload: n001a00000000 (spec)',
    wire: bytes('n001a00000000'),
    frames: [{ type: 'n', name: 'a', payload: EMPTY }],
  },
  {
    name: 'h00025f63ee48: load 2, time 0x5f63ee48 = 2020-09-17 23:16:24 UTC (spec)',
    wire: bytes('h00025f63ee48'),
    frames: [{ type: 'h', load: 2, time: 0x5f63ee48 }],
  },

  // Field ranges.
  {
    name: 'protocol error codes 0 abnormal, 1 unsupported and the largest uint32',
    wire: bytes('f00000000', 'f00000001', 'fffffffff'),
    frames: [
      { type: 'f', code: 0 },
      { type: 'f', code: 1 },
      { type: 'f', code: 0xffffffff },
    ],
  },
  {
    name: 'heartbeats at the field limits: load 0 time 0, load 0xffff time 0xffffffff',
    wire: bytes('h000000000000', 'hffffffffffff'),
    frames: [
      { type: 'h', load: 0, time: 0 },
      { type: 'h', load: 0xffff, time: 0xffffffff },
    ],
  },
  {
    name: 'retry waits at the field limits: 0 (whenever) and 0xffffffff ms',
    wire: bytes('e00030000000000000000', 'e0004ffffffff00000001!'),
    frames: [
      { type: 'e', id: idOf('0003'), wait: 0, payload: EMPTY },
      { type: 'e', id: idOf('0004'), wait: 0xffffffff, payload: utf8('!') },
    ],
  },
  {
    name: 'every payload frame type with an empty payload',
    wire: bytes(
      'r0001001x00000000',
      's0002001y00000000',
      'p000200000000',
      'R000100000000',
      'S000200000000',
      'E000300000000',
      'e00040000000100000000',
      'n001z00000000',
    ),
    frames: [
      { type: 'r', id: ID0001, op: 'x', payload: EMPTY },
      { type: 's', id: idOf('0002'), op: 'y', payload: EMPTY },
      { type: 'p', id: idOf('0002'), payload: EMPTY },
      { type: 'R', id: ID0001, payload: EMPTY },
      { type: 'S', id: idOf('0002'), payload: EMPTY },
      { type: 'E', id: idOf('0003'), payload: EMPTY },
      { type: 'e', id: idOf('0004'), wait: 1, payload: EMPTY },
      { type: 'n', name: 'z', payload: EMPTY },
    ],
  },

  // Request ids: any 4 bytes, read big-endian.
  {
    name: 'binary id 0x00000000 (the Go counter starts at 0)',
    wire: bytes('r\x00\x00\x00\x00004echo00000000'),
    frames: [{ type: 'r', id: 0, op: 'echo', payload: EMPTY }],
  },
  {
    name: 'binary id 0xffffffff',
    wire: bytes('R\xff\xff\xff\xff00000002hi'),
    frames: [{ type: 'R', id: 0xffffffff, payload: utf8('hi') }],
  },
  {
    name: 'binary id 0x0001ff80 (bytes over 0x7f)',
    wire: bytes('S\x00\x01\xff\x8000000000'),
    frames: [{ type: 'S', id: 0x0001ff80, payload: EMPTY }],
  },
  {
    name: 'Go little-endian counter 1 (\\x01\\x00\\x00\\x00) is id 0x01000000',
    wire: bytes('r\x01\x00\x00\x00004echo00000002{}', 'R\x01\x00\x00\x0000000002{}'),
    frames: [
      { type: 'r', id: 0x01000000, op: 'echo', payload: utf8('{}') },
      { type: 'R', id: 0x01000000, payload: utf8('{}') },
    ],
  },
  {
    name: 'binary ids on p, E and e frames',
    wire: bytes('p\x80\x00\x00\x0100000001.', 'E\x7f\xff\xff\xfe00000000', 'e\xff\x00\x80\x7f0000000a00000000'),
    frames: [
      { type: 'p', id: 0x80000001, payload: utf8('.') },
      { type: 'E', id: 0x7ffffffe, payload: EMPTY },
      { type: 'e', id: 0xff00807f, wait: 10, payload: EMPTY },
    ],
  },
  {
    name: 'ids covering every byte value 0x00..0xff',
    wire: bytes(...ALL_BYTE_IDS.map((id) => bytes('R', idBytes(id), '00000000'))),
    frames: ALL_BYTE_IDS.map((id): DecodedFrame => ({ type: 'R', id, payload: EMPTY })),
  },
  {
    name: 'gotalk.js base-36 ids 0000, 0001, a0z9 and zzzz',
    wire: bytes('r0000001a00000000', 'R000100000000', 'pa0z900000000', 'Ezzzz00000001!'),
    frames: [
      { type: 'r', id: idOf('0000'), op: 'a', payload: EMPTY },
      { type: 'R', id: ID0001, payload: EMPTY },
      { type: 'p', id: idOf('a0z9'), payload: EMPTY },
      { type: 'E', id: idOf('zzzz'), payload: utf8('!') },
    ],
  },

  // Names: UTF-8, the length counts bytes.
  {
    name: 'op name with a 2-byte character: héllo is 6 bytes',
    wire: bytes('r0001006', utf8('héllo'), '00000000'),
    frames: [{ type: 'r', id: ID0001, op: 'héllo', payload: EMPTY }],
  },
  {
    name: 'notification name of 3-byte characters: 日本語 is 9 bytes',
    wire: bytes('n009', utf8('日本語'), '00000002{}'),
    frames: [{ type: 'n', name: '日本語', payload: utf8('{}') }],
  },
  {
    name: 'notification name of one non-BMP emoji: 🚀 is 4 bytes (2 UTF-16 units)',
    wire: bytes('n004', utf8('🚀'), '00000000'),
    frames: [{ type: 'n', name: '🚀', payload: EMPTY }],
  },
  {
    name: 'stream op name mixing 2-, 3- and 4-byte characters: ü€🚀 is 9 bytes',
    wire: bytes('s0001009', utf8('ü€🚀'), '00000002hi'),
    frames: [{ type: 's', id: ID0001, op: 'ü€🚀', payload: utf8('hi') }],
  },
  {
    name: 'op name of 4095 ASCII bytes (the longest)',
    wire: bytes('r\x00\x00\x00\x07fff', LONG_ASCII_NAME, '00000003abc'),
    frames: [{ type: 'r', id: 7, op: LONG_ASCII_NAME, payload: ABC }],
  },
  {
    name: 'notification name of 4095 bytes in 1365 three-byte characters',
    wire: bytes('nfff', utf8(LONG_EURO_NAME), '00000000'),
    frames: [{ type: 'n', name: LONG_EURO_NAME, payload: EMPTY }],
  },
  {
    name: 'names beginning with U+FEFF keep it: it is content, not a byte-order mark',
    wire: bytes('r0001007', utf8('\uFEFFecho'), '00000000', 'n003', utf8('\uFEFF'), '00000000'),
    frames: [
      { type: 'r', id: ID0001, op: '\uFEFFecho', payload: EMPTY },
      { type: 'n', name: '\uFEFF', payload: EMPTY },
    ],
  },

  // Payloads: sizes count bytes.
  {
    name: 'payload with a non-BMP character: 😀 is 4 bytes, size 00000004',
    wire: bytes('R000100000004', utf8('😀')),
    frames: [{ type: 'R', id: ID0001, payload: utf8('😀') }],
  },
  {
    name: 'error text é😀 is 6 bytes, notification payload 𝄞 is 4',
    wire: bytes('E000100000006', utf8('é😀'), 'n004note00000004', utf8('𝄞')),
    frames: [
      { type: 'E', id: ID0001, payload: utf8('é😀') },
      { type: 'n', name: 'note', payload: utf8('𝄞') },
    ],
  },
  {
    name: 'payload holding every byte value 0x00..0xff',
    wire: bytes('R000100000100', ALL_BYTES),
    frames: [{ type: 'R', id: ID0001, payload: ALL_BYTES }],
  },
  {
    name: 'payload that looks like frames is opaque',
    wire: bytes('r0001004echo0000001f', '01r0001004echo00000000f00000002'),
    frames: [{ type: 'r', id: ID0001, op: 'echo', payload: utf8('01r0001004echo00000000f00000002') }],
  },
  {
    name: 'payload of 1 MiB',
    wire: bytes('R\x00\x00\x00\x0100100000', LARGE_PAYLOAD),
    frames: [{ type: 'R', id: 1, payload: LARGE_PAYLOAD }],
    large: true,
  },

  // Uppercase hex on input: accepted; the encoder writes lowercase.
  {
    name: 'uppercase hex payload size R0001000000FF (decode only)',
    wire: bytes('R0001000000FF', filler(0xff)),
    frames: [{ type: 'R', id: ID0001, payload: filler(0xff) }],
    decodeOnly: true,
  },
  {
    name: 'mixed-case hex payload size S0001000000aB (decode only)',
    wire: bytes('S0001000000aB', filler(0xab)),
    frames: [{ type: 'S', id: ID0001, payload: filler(0xab) }],
    decodeOnly: true,
  },
  {
    name: 'uppercase hex heartbeat h00FF5F63EE48 (decode only)',
    wire: bytes('h00FF5F63EE48'),
    frames: [{ type: 'h', load: 0xff, time: 0x5f63ee48 }],
    decodeOnly: true,
  },
  {
    name: 'uppercase hex retry wait and size e0001000000FF0000000A (decode only)',
    wire: bytes('e0001000000FF0000000A', filler(10)),
    frames: [{ type: 'e', id: ID0001, wait: 0xff, payload: filler(10) }],
    decodeOnly: true,
  },
  {
    name: 'uppercase hex name lengths and sizes on r and n (decode only)',
    wire: bytes('r000100Aabcdefghij0000000B', filler(11), 'n00Cabcdefghijkl0000000C', filler(12)),
    frames: [
      { type: 'r', id: ID0001, op: 'abcdefghij', payload: filler(11) },
      { type: 'n', name: 'abcdefghijkl', payload: filler(12) },
    ],
    decodeOnly: true,
  },
  {
    name: 'uppercase hex protocol error code f0000000A (decode only)',
    wire: bytes('f0000000A'),
    frames: [{ type: 'f', code: 10 }],
    decodeOnly: true,
  },
];

/** The 4 wire bytes of a request id, big-endian. */
function idBytes(id: number): Uint8Array {
  return Uint8Array.of(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}

/** Bytes the decoder must reject, each with the code and the offset of the offending byte or field. */
export const invalidVectors: readonly InvalidVector[] = [
  // Unknown type bytes: the offset is the frame start.
  { name: 'unknown type byte x000100000000 (spec)', wire: bytes('x000100000000'), code: 'INVALID_MESSAGE', offset: 0 },
  { name: 'NUL type byte', wire: bytes('\x00000100000000'), code: 'INVALID_MESSAGE', offset: 0 },
  { name: 'type byte 0xff', wire: bytes('\xff'), code: 'INVALID_MESSAGE', offset: 0 },
  { name: 'uppercase F is not a type (types are case-sensitive)', wire: bytes('F00000002'), code: 'INVALID_MESSAGE', offset: 0 },
  { name: 'uppercase N is not a type', wire: bytes('N001a00000000'), code: 'INVALID_MESSAGE', offset: 0 },
  {
    name: 'unknown type byte after a whole frame: offset is that frame start',
    wire: bytes('R000100000003abcx'),
    delivered: [{ type: 'R', id: ID0001, payload: ABC }],
    code: 'INVALID_MESSAGE',
    offset: 16,
  },
  {
    name: 'version 01 sent to a decoder not expecting it: 0 is an unknown type',
    wire: bytes('01R000100000000'),
    code: 'INVALID_MESSAGE',
    offset: 0,
  },

  // Bad hex: the offset is the field start.
  { name: 'heartbeat load XXXX: hXXXX5f63ee48 (spec)', wire: bytes('hXXXX5f63ee48'), code: 'INVALID_MESSAGE', offset: 1 },
  { name: 'heartbeat time with a g', wire: bytes('h00025f63ee4g'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'space in a hex field: h 0025f63ee48', wire: bytes('h 0025f63ee48'), code: 'INVALID_MESSAGE', offset: 1 },
  { name: 'plus sign in a hex field: h+0025f63ee48', wire: bytes('h+0025f63ee48'), code: 'INVALID_MESSAGE', offset: 1 },
  { name: '0x prefix in a hex field: h0x025f63ee48', wire: bytes('h0x025f63ee48'), code: 'INVALID_MESSAGE', offset: 1 },
  { name: 'colon in a hex field: h00:25f63ee48', wire: bytes('h00:25f63ee48'), code: 'INVALID_MESSAGE', offset: 1 },
  { name: 'space in a payload size: R0001 0000003abc', wire: bytes('R0001 0000003abc'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'trailing space in a payload size: R00010000003 abc', wire: bytes('R00010000003 abc'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'plus sign in a payload size: p0001+0000003abc', wire: bytes('p0001+0000003abc'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: '0x prefix in a payload size: S00010x000003abc', wire: bytes('S00010x000003abc'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'colon in a payload size: E0001000000:3abc', wire: bytes('E0001000000:3abc'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'minus sign in a payload size: R0001-0000003abc', wire: bytes('R0001-0000003abc'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'bad payload size on r: r0001004echo0000000g', wire: bytes('r0001004echo0000000g'), code: 'INVALID_MESSAGE', offset: 12 },
  { name: 'bad payload size on n: n005hello0000000g', wire: bytes('n005hello0000000g'), code: 'INVALID_MESSAGE', offset: 9 },
  { name: 'bad payload size on e', wire: bytes('e000100000006zzzzzzzz'), code: 'INVALID_MESSAGE', offset: 13 },
  { name: 'bad retry wait: e0001zzzzzzzz00000000', wire: bytes('e0001zzzzzzzz00000000'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'space in a retry wait', wire: bytes('e0001 000024900000000'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'bad protocol error code: f0000000g', wire: bytes('f0000000g'), code: 'INVALID_MESSAGE', offset: 1 },
  { name: 'bad name length on r: r0001 04echo00000000', wire: bytes('r0001 04echo00000000'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'bad name length on n: n0x5hello00000000', wire: bytes('n0x5hello00000000'), code: 'INVALID_MESSAGE', offset: 1 },
  {
    name: 'bad hex in a frame after a whole frame: offset counts the stream',
    wire: bytes('n005hello00000003abc', 'R0001zzzzzzzz'),
    delivered: [{ type: 'n', name: 'hello', payload: ABC }],
    code: 'INVALID_MESSAGE',
    offset: 25,
  },

  // Empty names cannot be framed.
  { name: 'empty op name: r000100000000000', wire: bytes('r0001000', '00000000'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'empty stream op name: s000100000000003abc', wire: bytes('s0001000', '00000003abc'), code: 'INVALID_MESSAGE', offset: 5 },
  { name: 'empty notification name: n00000000000', wire: bytes('n000', '00000000'), code: 'INVALID_MESSAGE', offset: 1 },

  // The version handshake.
  { name: 'version xx is not hex (spec)', wire: bytes('xx'), expectVersion: true, code: 'INVALID_MESSAGE', offset: 0 },
  { name: 'version 0 followed by a space', wire: bytes('0 '), expectVersion: true, code: 'INVALID_MESSAGE', offset: 0 },
  { name: 'version 09 is unsupported (spec)', wire: bytes('09'), expectVersion: true, code: 'UNSUPPORTED_VERSION', offset: 0 },
  { name: 'version 00 is unsupported', wire: bytes('00'), expectVersion: true, code: 'UNSUPPORTED_VERSION', offset: 0 },
  { name: 'version 10 is unsupported (not 01)', wire: bytes('10'), expectVersion: true, code: 'UNSUPPORTED_VERSION', offset: 0 },
  {
    name: 'bad frame right after the version: offset counts the version bytes',
    wire: bytes('01R0001000000zz'),
    expectVersion: true,
    delivered: [V1],
    code: 'INVALID_MESSAGE',
    offset: 7,
  },

  // After a skipped oversize payload, offsets still count every byte.
  {
    name: 'unknown type byte after a skipped oversize payload',
    wire: bytes('R000100000010', '0123456789abcdef', '?'),
    maxPayload: 8,
    delivered: [{ type: 'oversize', frame: { type: 'R', id: ID0001, payload: EMPTY }, size: 16 }],
    code: 'INVALID_MESSAGE',
    offset: 29,
  },
];
