import { CodecError } from './errors.ts';
import type { Frame } from './frame.ts';
import { MAX_NAME_BYTES, MAX_WIRE_PAYLOAD, PROTOCOL_VERSION } from './frame.ts';
import { writeHex } from './hex.ts';
import { utf8Length, writeUtf8 } from './names.ts';

const TYPE_BYTE: Record<Frame['type'], number> = {
  r: 0x72,
  s: 0x73,
  p: 0x70,
  R: 0x52,
  S: 0x53,
  E: 0x45,
  e: 0x65,
  n: 0x6e,
  h: 0x68,
  f: 0x66,
};

function invalid(message: string): CodecError {
  return new CodecError('INVALID_FIELD', message);
}

function checkUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw invalid(`${field} ${value} is not an integer in 0..${max}`);
  }
}

function nameLength(name: string, field: string): number {
  const n = utf8Length(name);
  if (n === 0 || n > MAX_NAME_BYTES) {
    throw invalid(`${field} must be 1..${MAX_NAME_BYTES} UTF-8 bytes, got ${n}`);
  }
  return n;
}

function checkPayload(payload: Uint8Array): void {
  if (payload.length > MAX_WIRE_PAYLOAD) {
    throw new CodecError('PAYLOAD_TOO_LARGE', `payload of ${payload.length} bytes exceeds the wire maximum`);
  }
}

/**
 * The encoded size of `frame` in bytes (header and payload). Validates every field and throws
 * {@link CodecError} (`INVALID_FIELD`, `PAYLOAD_TOO_LARGE`) for one out of its wire range.
 */
export function frameSize(frame: Frame): number {
  switch (frame.type) {
    case 'r':
    case 's':
      checkUint(frame.id, 0xffffffff, 'request id');
      checkPayload(frame.payload);
      return 16 + nameLength(frame.op, 'op name') + frame.payload.length;
    case 'n':
      checkPayload(frame.payload);
      return 12 + nameLength(frame.name, 'notification name') + frame.payload.length;
    case 'e':
      checkUint(frame.id, 0xffffffff, 'request id');
      checkUint(frame.wait, 0xffffffff, 'retry wait');
      checkPayload(frame.payload);
      return 21 + frame.payload.length;
    case 'p':
    case 'R':
    case 'S':
    case 'E':
      checkUint(frame.id, 0xffffffff, 'request id');
      checkPayload(frame.payload);
      return 13 + frame.payload.length;
    case 'h':
      checkUint(frame.load, 0xffff, 'heartbeat load');
      checkUint(frame.time, 0xffffffff, 'heartbeat time');
      return 13;
    case 'f':
      checkUint(frame.code, 0xffffffff, 'protocol error code');
      return 9;
    default:
      throw invalid(`unknown frame type ${JSON.stringify((frame as { type: unknown }).type)}`);
  }
}

function writeId(buf: Uint8Array, at: number, id: number): void {
  buf[at] = id >>> 24;
  buf[at + 1] = (id >>> 16) & 0xff;
  buf[at + 2] = (id >>> 8) & 0xff;
  buf[at + 3] = id & 0xff;
}

/**
 * Writes `frame` into `buf` at `at` and returns the offset just past it. The caller sized
 * `buf` with {@link frameSize}, which also validated the frame.
 */
export function writeFrame(buf: Uint8Array, at: number, frame: Frame): number {
  const end = writeHeader(buf, at, frame);
  if ('payload' in frame && frame.payload.length > 0) {
    buf.set(frame.payload, end);
    return end + frame.payload.length;
  }
  return end;
}

/**
 * Writes only the header of `frame` (everything up to and including its size field) at `at`
 * and returns the offset just past it: for writers that send a large payload from where it
 * lies instead of copying it. The header is `frameSize(frame) - payload.length` bytes.
 */
export function writeHeader(buf: Uint8Array, at: number, frame: Frame): number {
  buf[at] = TYPE_BYTE[frame.type];
  let i = at + 1;
  switch (frame.type) {
    case 'r':
    case 's': {
      writeId(buf, i, frame.id);
      const n = utf8Length(frame.op);
      writeHex(buf, i + 4, 3, n);
      writeUtf8(buf, i + 7, frame.op, n);
      i += 7 + n;
      break;
    }
    case 'n': {
      const n = utf8Length(frame.name);
      writeHex(buf, i, 3, n);
      writeUtf8(buf, i + 3, frame.name, n);
      i += 3 + n;
      break;
    }
    case 'e':
      writeId(buf, i, frame.id);
      writeHex(buf, i + 4, 8, frame.wait);
      i += 12;
      break;
    case 'p':
    case 'R':
    case 'S':
    case 'E':
      writeId(buf, i, frame.id);
      i += 4;
      break;
    case 'h':
      writeHex(buf, i, 4, frame.load);
      writeHex(buf, i + 4, 8, frame.time);
      return i + 12;
    case 'f':
      writeHex(buf, i, 8, frame.code);
      return i + 8;
  }
  writeHex(buf, i, 8, frame.payload.length);
  return i + 8;
}

/** Encodes one frame, header and payload, into one new contiguous buffer. */
export function encodeFrame(frame: Frame): Uint8Array {
  const buf = new Uint8Array(frameSize(frame));
  writeFrame(buf, 0, frame);
  return buf;
}

/** Encodes several frames back to back into one new buffer: one transport write for a batch. */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  let size = 0;
  for (const f of frames) size += frameSize(f);
  const buf = new Uint8Array(size);
  let at = 0;
  for (const f of frames) at = writeFrame(buf, at, f);
  return buf;
}

/** The version handshake bytes, `01` for the only version there is. */
export function encodeVersion(version: number = PROTOCOL_VERSION): Uint8Array {
  checkUint(version, 0xff, 'version');
  const buf = new Uint8Array(2);
  writeHex(buf, 0, 2, version);
  return buf;
}
