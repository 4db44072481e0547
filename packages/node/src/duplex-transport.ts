import type { Duplex, Readable, Writable } from 'node:stream';
import { DEFAULTS, type Transport, type TransportEvents, type TransportInfo } from '@gotalk/peer';

/**
 * Two one-way streams used as one connection: a child process's `stdout` and `stdin` (or, in the
 * child, `process.stdin` and `process.stdout`), two pipes, a FIFO pair.
 */
export interface StreamPair {
  readonly readable: Readable;
  readonly writable: Writable;
}

/** Options of {@link DuplexTransport}. */
export interface DuplexTransportOptions {
  /** What `info` says about the other end (default `{ kind: 'stream' }`). */
  readonly info?: TransportInfo;
  /** Bytes queued in the writable side past which `write()` returns false (default {@link DEFAULTS}`.highWaterMark`, 1 MiB). */
  readonly highWaterMark?: number;
}

/** Where a stream names the transport it is the readable side of, and the one it is the writable side of, for the listeners all transports share. */
const READER = Symbol('gotalk.reader');
const WRITER = Symbol('gotalk.writer');
type Owned = { [READER]?: DuplexTransport; [WRITER]?: DuplexTransport };

function isPair(stream: Duplex | StreamPair): stream is StreamPair {
  return 'readable' in stream && typeof stream.readable === 'object' && stream.readable !== null && 'writable' in stream && typeof stream.writable === 'object';
}

/**
 * A {@link Transport} over any Node byte stream: a `Duplex` (a socket made elsewhere, one end of
 * a socketpair, an in-memory duplex) or a {@link StreamPair}. Writes each coalesced batch with
 * one `write` (several pieces corked into one `writev`), reports the writable side's
 * backpressure (`write()` false until `drain`), and pauses the readable side on `pause()`.
 *
 * The other side finishing (the readable side's `end`) is a half-close: the peer may still
 * answer what it serves, when the stream allows it (a pair always does; a `Duplex` when its
 * `allowHalfOpen` is set), else this side ends too. `close()` ends the writable side; the
 * connection is closed once the stream is (both streams of a pair), or `DEFAULTS.closeGrace`
 * ms later, when it is destroyed. Streams must emit `close` (Node's own all do; a custom
 * stream with `emitClose: false` never reports its end).
 */
export class DuplexTransport implements Transport {
  readonly info: TransportInfo;
  readonly #readable: Readable;
  readonly #writable: Writable;
  readonly #pair: boolean;
  readonly #highWaterMark: number;
  #events: TransportEvents | null = null;
  #closed = false;
  /** The first error either stream reported. */
  #failure: Error | undefined;
  /** Streams not closed yet (two for a pair). */
  #open = 0;

  constructor(stream: Duplex | StreamPair, options: DuplexTransportOptions = {}) {
    this.#pair = isPair(stream);
    this.#readable = isPair(stream) ? stream.readable : stream;
    this.#writable = isPair(stream) ? stream.writable : stream;
    this.#highWaterMark = options.highWaterMark ?? DEFAULTS.highWaterMark;
    this.info = options.info ?? { kind: 'stream' };
    // Until start(), hold incoming bytes in the stream.
    this.#readable.pause();
  }

  start(events: TransportEvents): void {
    this.#events = events;
    const r = this.#readable as Readable & Owned;
    const w = this.#writable as Writable & Owned;
    // The listeners are shared by every transport (a closure each cost about 0.3 kB per
    // connection): each finds its transport on the stream that emits, under the role the stream
    // has for it (one stream may be one transport's readable side and another's writable side).
    // A stream carries one transport per role: one started over it before is detached from it.
    if (r[READER] !== undefined && r[READER] !== this) DuplexTransport.#detach(r, READER);
    if (w[WRITER] !== undefined && w[WRITER] !== this) DuplexTransport.#detach(w, WRITER);
    r[READER] = this;
    w[WRITER] = this;
    r.on('data', DuplexTransport.#onData);
    r.on('end', DuplexTransport.#onEnd);
    r.on('error', DuplexTransport.#onReadError);
    r.on('close', DuplexTransport.#onReadClose);
    w.on('drain', DuplexTransport.#onDrain);
    if (this.#pair) {
      w.on('error', DuplexTransport.#onWriteError);
      w.on('close', DuplexTransport.#onWriteClose);
    }
    this.#open = this.#pair ? 2 : 1;
    if (r.destroyed || w.destroyed) {
      this.#closed = true;
      this.#destroyBoth();
      queueMicrotask(() => events.close(this.#failure ?? new Error('the stream closed before start')));
      return;
    }
    r.resume();
  }

  static #detach(stream: Readable | Writable, role: typeof READER | typeof WRITER): void {
    if (role === READER) {
      stream.off('data', DuplexTransport.#onData);
      stream.off('end', DuplexTransport.#onEnd);
      stream.off('error', DuplexTransport.#onReadError);
      stream.off('close', DuplexTransport.#onReadClose);
    } else {
      stream.off('drain', DuplexTransport.#onDrain);
      stream.off('error', DuplexTransport.#onWriteError);
      stream.off('close', DuplexTransport.#onWriteClose);
    }
  }

  // The streams' listeners, called with the emitting stream as `this`.
  static #onData(this: Owned, chunk: Buffer | string): void {
    this[READER]!.#events!.data(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }

  static #onDrain(this: Owned): void {
    this[WRITER]!.#events!.drain();
  }

  static #onReadError(this: Owned, err: Error): void {
    this[READER]!.#failed(err);
  }

  static #onWriteError(this: Owned, err: Error): void {
    this[WRITER]!.#failed(err);
  }

  /**
   * The other side finished sending. Where the stream allows a half-open connection, this side
   * may still answer what it serves; the peer closes when done. (Ended already when this side
   * closed first: a second end() only makes an error.)
   */
  static #onEnd(this: Owned): void {
    const t = this[READER]!;
    const events = t.#events!;
    if (events.end && t.#halfOpen) events.end();
    else if (!t.#writable.writableEnded) t.#writable.end();
  }

  static #onReadClose(this: Owned): void {
    this[READER]!.#streamClosed();
  }

  static #onWriteClose(this: Owned): void {
    this[WRITER]!.#streamClosed();
  }

  #failed(err: Error): void {
    this.#failure ??= err;
    // One half failing ends the other too, so that both close.
    if (this.#pair) this.#destroyBoth();
  }

  #streamClosed(): void {
    if (--this.#open > 0 || this.#closed) return;
    this.#closed = true;
    this.#events!.close(this.#failure);
  }

  get #halfOpen(): boolean {
    return this.#pair || (this.#readable as Duplex).allowHalfOpen;
  }

  write(bytes: Uint8Array): boolean {
    const w = this.#writable;
    if (w.destroyed || !w.writable) return true;
    return w.write(bytes) || this.#underMark();
  }

  writev(pieces: readonly Uint8Array[]): boolean {
    const w = this.#writable;
    if (w.destroyed || !w.writable) return true;
    // Corked writes leave in one writev system call when uncorked.
    w.cork();
    let ok = true;
    for (const piece of pieces) ok = w.write(piece);
    w.uncork();
    return ok || this.#underMark();
  }

  /**
   * Node's streams report backpressure past 16 KiB of queued bytes, less than one 64 KiB stream
   * part, so a producer would wait for `drain` after every part. Ours is `highWaterMark`
   * (default 1 MiB); `drain` still follows any write the stream itself refused.
   */
  #underMark(): boolean {
    return this.#writable.writableLength < this.#highWaterMark;
  }

  /** Bytes queued in the writable side, not yet handed to the system. */
  get bufferedAmount(): number {
    return this.#writable.writableLength;
  }

  pause(): void {
    this.#readable.pause();
  }

  resume(): void {
    if (this.#events) this.#readable.resume();
  }

  close(): void {
    this.#writable.end();
    // A peer that never closes its side must not keep the stream open forever.
    setTimeout(() => this.#destroyBoth(), DEFAULTS.closeGrace).unref();
  }

  destroy(error?: Error): void {
    if (this.#pair) {
      this.#writable.destroy(error);
      this.#readable.destroy();
    } else {
      this.#readable.destroy(error);
    }
  }

  #destroyBoth(): void {
    this.#readable.destroy();
    this.#writable.destroy();
  }
}
