import { CodecError } from './errors.ts';
import type { DecodedFrame, PayloadFrame } from './frame.ts';
import { DEFAULT_MAX_PAYLOAD, MAX_NAME_BYTES, MAX_WIRE_PAYLOAD, PROTOCOL_VERSION } from './frame.ts';
import { readHex } from './hex.ts';
import { readUtf8 } from './names.ts';

/** Options of {@link FrameDecoder}. */
export interface DecoderOptions {
  /** Largest payload accepted, in bytes (default 8 MiB). A larger frame is reported as `oversize` and skipped. */
  readonly maxPayload?: number;
  /** Expect the two-digit version handshake before the first frame (default false). */
  readonly expectVersion?: boolean;
  /**
   * Asked, once its header is read, whether a frame's payload (of `size` bytes, 1..`maxPayload`)
   * may be taken in: `type` is the frame's letter and `id` its request id (0 for `n`). Returning
   * false skips the payload bytes unbuffered and reports the frame as `{ type: 'refused' }`. For
   * a memory budget: nothing is allocated for a payload the budget cannot hold. A function, or
   * an object whose `admit` method is called (so that many decoders can share one method rather
   * than hold a closure each).
   */
  readonly admit?: ((type: string, id: number, size: number) => boolean) | Admission;
}

/** What decides, as a method, whether a frame's payload may be taken in: see {@link DecoderOptions.admit}. */
export interface Admission {
  /** True to take in the payload of `size` bytes of a frame of letter `type` and request id `id` (0 for `n`); false to skip it. */
  admit(type: string, id: number, size: number): boolean;
}

/** The longest header: `r` + id(4) + len(3) + 4095 name bytes + size(8). */
export const MAX_HEADER_BYTES = 16 + MAX_NAME_BYTES;

const EMPTY = new Uint8Array(0);
/** The size a header buffer starts at when a header is first split across chunks. */
const HEADER_START = 32;

const enum Stage {
  Version,
  Header,
  Payload,
  Skip,
  Failed,
}

/** Receives each decoded frame. */
export type FrameSink = (frame: DecodedFrame) => void;

/**
 * A streaming Gotalk decoder: push byte chunks of any size and split, get whole frames out.
 *
 * - Payloads that lie within one pushed chunk come out as views of that chunk (no copy); a
 *   payload split over chunks is gathered into one buffer allocated at its exact size.
 * - Memory is bounded before any allocation: at most one header ({@link MAX_HEADER_BYTES})
 *   and one payload of at most `maxPayload` bytes are ever buffered.
 * - A frame whose declared size is over `maxPayload` is emitted as `{ type: 'oversize' }` with
 *   its header, and its payload bytes are skipped as they arrive; so is a frame whose payload
 *   the `admit` option declines, as `{ type: 'refused' }`.
 * - Names that are not valid UTF-8 are never merged: they are read with a lossless escape of their bad bytes (see `readUtf8` in names.ts).
 * - Malformed input throws {@link CodecError} with the stream offset; frames before it were
 *   already delivered. The decoder then stays failed and rethrows that error on every push.
 */
export class FrameDecoder {
  readonly maxPayload: number;
  #stage: Stage;
  /**
   * Where a header (or the version) split across chunks is gathered. Made the first time one is
   * split, small (every fixed-size header, and names up to 16 bytes, fit), and grown only for a
   * longer name, up to MAX_HEADER_BYTES: an idle connection should hold none, and never 4 KiB
   * for the rare long op name.
   */
  #header: Uint8Array = EMPTY;
  #headerFill = 0;
  /** Stream offset of the first byte of `chunk` in the current push. */
  #base = 0;
  /** Stream offset where the frame being read starts. */
  #frameStart = 0;
  // Fields of the header parsed last, kept until its payload is complete.
  #type = 0;
  #id = 0;
  #name = '';
  #wait = 0;
  #payload: Uint8Array = EMPTY;
  #payloadFill = 0;
  #skip = 0;
  #failure: CodecError | null = null;
  readonly #admission: Admission | null;

  constructor(options: DecoderOptions = {}) {
    const max = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (!Number.isInteger(max) || max < 0 || max > MAX_WIRE_PAYLOAD) {
      throw new CodecError('INVALID_FIELD', `maxPayload ${max} is not an integer in 0..${MAX_WIRE_PAYLOAD}`);
    }
    this.maxPayload = max;
    const admit = options.admit;
    this.#admission = typeof admit === 'function' ? { admit } : (admit ?? null);
    this.#stage = options.expectVersion ? Stage.Version : Stage.Header;
  }

  /** Bytes held for a frame not yet complete: a partial header, or the buffer a split payload is gathered in (its full size). */
  get bufferedBytes(): number {
    return this.#headerFill + (this.#stage === Stage.Payload ? this.#payload.length : 0);
  }

  /** Total bytes pushed so far. */
  get offset(): number {
    return this.#base;
  }

  /** True when no frame is partly read: the stream could end here cleanly. */
  get idle(): boolean {
    return this.#headerFill === 0 && (this.#stage === Stage.Header || this.#stage === Stage.Version);
  }

  /** Decodes `chunk`, calling `sink` for each whole frame in order. Throws {@link CodecError} on bad input. */
  push(chunk: Uint8Array, sink: FrameSink): void {
    if (this.#failure) throw this.#failure;
    try {
      this.#run(chunk, sink);
    } catch (err) {
      // Any failure, the sink's included, leaves the rest of the chunk unread: the stream is
      // out of step from here, so the decoder stays failed.
      this.#stage = Stage.Failed;
      this.#failure =
        err instanceof CodecError ? err : new CodecError('INVALID_MESSAGE', `frame handling failed: ${(err as Error)?.message ?? err}`, this.#base);
      throw err;
    } finally {
      this.#base += chunk.length;
    }
  }

  #run(chunk: Uint8Array, sink: FrameSink): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      switch (this.#stage) {
        case Stage.Version:
          pos = this.#readVersion(chunk, pos, sink);
          break;
        case Stage.Header:
          pos = this.#readHeader(chunk, pos, sink);
          break;
        case Stage.Payload:
          pos = this.#readPayload(chunk, pos, sink);
          break;
        case Stage.Skip: {
          const n = Math.min(this.#skip, end - pos);
          this.#skip -= n;
          pos += n;
          if (this.#skip === 0) this.#stage = Stage.Header;
          break;
        }
        case Stage.Failed:
          return;
      }
    }
  }

  #readVersion(chunk: Uint8Array, pos: number, sink: FrameSink): number {
    let bytes = chunk;
    let at = pos;
    let next = pos + 2;
    if (this.#headerFill > 0 || chunk.length - pos < 2) {
      // Split across chunks: gathered.
      if (this.#header.length === 0) this.#header = new Uint8Array(HEADER_START);
      const take = Math.min(2 - this.#headerFill, chunk.length - pos);
      this.#header.set(chunk.subarray(pos, pos + take), this.#headerFill);
      this.#headerFill += take;
      if (this.#headerFill < 2) return pos + take;
      this.#headerFill = 0;
      bytes = this.#header;
      at = 0;
      next = pos + take;
    }
    const version = readHex(bytes, at, 2);
    if (version < 0) throw this.#error('INVALID_MESSAGE', 'version handshake is not two hex digits', 0);
    if (version !== PROTOCOL_VERSION) {
      throw this.#error('UNSUPPORTED_VERSION', `unsupported protocol version ${version}`, 0);
    }
    this.#stage = Stage.Header;
    sink({ type: 'version', version });
    return next;
  }

  /**
   * Reads a header. Fast path: the whole header is in `chunk`, parse it in place. Otherwise
   * gather it in `this.#header`, taking no more bytes than the header is known to need.
   */
  #readHeader(chunk: Uint8Array, pos: number, sink: FrameSink): number {
    if (this.#headerFill === 0) {
      this.#frameStart = this.#base + pos;
      const size = this.#headerSize(chunk, pos, chunk.length - pos);
      if (size > 0 && size <= chunk.length - pos) {
        this.#parseHeader(chunk, pos, size, sink);
        return pos + size;
      }
    }
    for (;;) {
      const known = this.#headerSize(this.#header, 0, this.#headerFill);
      const want = known > 0 ? known : -known;
      const take = Math.min(want - this.#headerFill, chunk.length - pos);
      if (want > this.#header.length) {
        const grown = new Uint8Array(Math.max(want, HEADER_START));
        grown.set(this.#header.subarray(0, this.#headerFill));
        this.#header = grown;
      }
      this.#header.set(chunk.subarray(pos, pos + take), this.#headerFill);
      this.#headerFill += take;
      pos += take;
      if (known > 0 && this.#headerFill === known) {
        this.#headerFill = 0;
        this.#parseHeader(this.#header, 0, known, sink);
        return pos;
      }
      if (pos === chunk.length) {
        // The chunk ended inside the header: check what arrived now (a bad name length is
        // invalid at once, not at the next byte).
        if (known < 0) this.#headerSize(this.#header, 0, this.#headerFill);
        return pos;
      }
    }
  }

  /**
   * The full header size of the frame starting at `buf[at]` when `avail` bytes suffice to know
   * it; otherwise minus the number of bytes needed to find out.
   */
  #headerSize(buf: Uint8Array, at: number, avail: number): number {
    if (avail < 1) return -1;
    switch (buf[at]) {
      case 0x72: // r
      case 0x73: // s
        return avail < 8 ? -8 : 16 + this.#nameLength(buf, at + 5);
      case 0x6e: // n
        return avail < 4 ? -4 : 12 + this.#nameLength(buf, at + 1);
      case 0x70: // p
      case 0x52: // R
      case 0x53: // S
      case 0x45: // E
      case 0x68: // h
        return 13;
      case 0x65: // e
        return 21;
      case 0x66: // f
        return 9;
      default:
        throw this.#error('INVALID_MESSAGE', `unknown frame type byte 0x${buf[at]!.toString(16).padStart(2, '0')}`, 0);
    }
  }

  #nameLength(buf: Uint8Array, at: number): number {
    const n = readHex(buf, at, 3);
    if (n < 0) throw this.#error('INVALID_MESSAGE', 'name length is not 3 hex digits', at - this.#headerOrigin(buf));
    if (n === 0) throw this.#error('INVALID_MESSAGE', 'empty op or notification name', at - this.#headerOrigin(buf));
    return n;
  }

  /** Where the current header starts within `buf` (0 when gathered in `this.#header`). */
  #headerOrigin(buf: Uint8Array): number {
    return buf === this.#header ? 0 : this.#frameStart - this.#base;
  }

  #hex(buf: Uint8Array, at: number, width: number, field: string): number {
    const v = readHex(buf, at, width);
    if (v < 0) throw this.#error('INVALID_MESSAGE', `${field} is not ${width} hex digits`, at - this.#headerOrigin(buf));
    return v;
  }

  #parseHeader(buf: Uint8Array, at: number, size: number, sink: FrameSink): void {
    const type = buf[at]!;
    if (type === 0x68) {
      sink({ type: 'h', load: this.#hex(buf, at + 1, 4, 'heartbeat load'), time: this.#hex(buf, at + 5, 8, 'heartbeat time') });
      return;
    }
    if (type === 0x66) {
      sink({ type: 'f', code: this.#hex(buf, at + 1, 8, 'protocol error code') });
      return;
    }
    const payloadSize = this.#hex(buf, at + size - 8, 8, 'payload size');
    this.#type = type;
    if (type === 0x6e) {
      this.#name = readUtf8(buf, at + 4, size - 12);
    } else {
      this.#id = ((buf[at + 1]! << 24) | (buf[at + 2]! << 16) | (buf[at + 3]! << 8) | buf[at + 4]!) >>> 0;
      if (type === 0x72 || type === 0x73) this.#name = readUtf8(buf, at + 8, size - 16);
      else if (type === 0x65) this.#wait = this.#hex(buf, at + 5, 8, 'retry wait');
    }
    if (payloadSize > this.maxPayload) {
      this.#skip = payloadSize;
      this.#stage = Stage.Skip;
      sink({ type: 'oversize', frame: this.#frame(EMPTY), size: payloadSize });
    } else if (payloadSize === 0) {
      sink(this.#frame(EMPTY));
    } else if (this.#admission !== null && !this.#admission.admit(String.fromCharCode(type), type === 0x6e ? 0 : this.#id, payloadSize)) {
      this.#skip = payloadSize;
      this.#stage = Stage.Skip;
      sink({ type: 'refused', frame: this.#frame(EMPTY), size: payloadSize });
    } else {
      this.#skip = payloadSize;
      this.#payload = EMPTY;
      this.#payloadFill = 0;
      this.#stage = Stage.Payload;
    }
  }

  /** Builds the frame whose header was parsed last, with `payload`. One object per frame. */
  #frame(payload: Uint8Array): PayloadFrame {
    const id = this.#id;
    switch (this.#type) {
      case 0x72:
        return { type: 'r', id, op: this.#name, payload };
      case 0x73:
        return { type: 's', id, op: this.#name, payload };
      case 0x70:
        return { type: 'p', id, payload };
      case 0x52:
        return { type: 'R', id, payload };
      case 0x53:
        return { type: 'S', id, payload };
      case 0x45:
        return { type: 'E', id, payload };
      case 0x65:
        return { type: 'e', id, wait: this.#wait, payload };
      default:
        return { type: 'n', name: this.#name, payload };
    }
  }

  #readPayload(chunk: Uint8Array, pos: number, sink: FrameSink): number {
    const need = this.#skip;
    const avail = chunk.length - pos;
    if (this.#payloadFill === 0 && avail >= need) {
      this.#stage = Stage.Header;
      // A plain Uint8Array view: subarray() of a Node Buffer goes through Buffer's slower override.
      sink(this.#frame(new Uint8Array(chunk.buffer, chunk.byteOffset + pos, need)));
      return pos + need;
    }
    if (this.#payloadFill === 0) this.#payload = new Uint8Array(need);
    const take = Math.min(need - this.#payloadFill, avail);
    this.#payload.set(chunk.subarray(pos, pos + take), this.#payloadFill);
    this.#payloadFill += take;
    if (this.#payloadFill === need) {
      const whole = this.#payload;
      this.#payload = EMPTY;
      this.#payloadFill = 0;
      this.#stage = Stage.Header;
      sink(this.#frame(whole));
    }
    return pos + take;
  }

  #error(code: 'INVALID_MESSAGE' | 'UNSUPPORTED_VERSION', message: string, at: number): CodecError {
    this.#stage = Stage.Failed;
    return new CodecError(code, message, this.#frameStart + at);
  }
}

/**
 * Decodes a complete byte string into frames (for tests and tools). Throws {@link CodecError}
 * on bad input, or `INVALID_MESSAGE` when the bytes end inside a frame.
 */
export function decodeAll(bytes: Uint8Array, options: DecoderOptions = {}): DecodedFrame[] {
  const decoder = new FrameDecoder(options);
  const out: DecodedFrame[] = [];
  decoder.push(bytes, (f) => out.push(f));
  if (!decoder.idle) throw new CodecError('INVALID_MESSAGE', 'input ends inside a frame', bytes.length);
  return out;
}
