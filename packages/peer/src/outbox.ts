import { allocBytes, frameSize, writeFrame, writeHeader, type Frame } from '@gotalk/protocol';
import type { Transport } from './transport.ts';

/** Options of an {@link Outbox}; `overflow` and `written` are called as methods of this object (a peer's host). */
export interface OutboxOptions {
  /** Unsent bytes past which `overflow` is called after a write (default: no limit). */
  readonly maxBacklog?: number;
  /** Called with the transport's unsent bytes when they pass `maxBacklog` after a write. */
  overflow?(backlog: number): void;
  /** Called after every write and every drain (a memory budget reads the backlog then). */
  written?(): void;
}

/** Payloads at least this large are not copied into the batch buffer when the transport has `writev`. */
const ZERO_COPY_MIN = 16 * 1024;
/**
 * A batch is written as soon as it holds this many frames or bytes, without waiting for the
 * microtask: the other side starts on the first frames while this side makes the rest, so that
 * two processes work at once instead of taking turns over one large batch.
 */
export const BATCH_FRAMES = 16;
/** See {@link BATCH_FRAMES}. */
export const BATCH_BYTES = 16 * 1024;

/**
 * Coalesces outgoing frames: the frames sent in the same tick go out in one transport write
 * (one buffer, headers and payloads together), flushed from a microtask, or at once when the
 * batch reaches {@link BATCH_FRAMES} frames or {@link BATCH_BYTES} bytes. When the batch holds
 * large payloads and the transport has `writev`, those payloads go out as their own pieces of
 * that one write, uncopied. Tracks the transport's write pressure so producers of many frames
 * (stream parts) can wait for `drain`.
 */
export class Outbox {
  #frames: Frame[] = [];
  #size = 0;
  /** Bytes of this batch's payloads that will be sent uncopied. */
  #zeroCopy = 0;
  #scheduled = false;
  #blocked = false;
  /** Who waits for `writable()`; made when the first waits (most connections never do). */
  #waiters: (() => void)[] | null = null;
  #closed = false;
  #prefix: Uint8Array | null;
  readonly #transport: Transport;

  readonly #maxBacklog: number;
  readonly #options: OutboxOptions;

  constructor(transport: Transport, prefix: Uint8Array | null, options: OutboxOptions = {}) {
    this.#transport = transport;
    this.#maxBacklog = options.maxBacklog ?? Infinity;
    this.#options = options;
    this.#prefix = prefix;
    if (prefix) this.#schedule();
  }

  /**
   * Queues a frame for the next flush. Validates it at once: throws the codec's CodecError
   * (a name or field out of range) to the caller, and nothing is queued then.
   */
  send(frame: Frame): void {
    if (this.#closed) return;
    this.#size += frameSize(frame);
    this.#frames.push(frame);
    if (this.#transport.writev && 'payload' in frame && frame.payload.length >= ZERO_COPY_MIN) this.#zeroCopy += frame.payload.length;
    if (this.#frames.length >= BATCH_FRAMES || this.#size >= BATCH_BYTES) this.flush();
    else if (!this.#scheduled) this.#schedule();
  }

  /** Bytes of frames queued for the next flush. */
  get pending(): number {
    return this.#size;
  }

  /** True while the transport reports it is over its high-water mark. */
  get congested(): boolean {
    return this.#blocked;
  }

  /** Resolves when the transport can take more (at once when it can). */
  writable(): Promise<void> {
    if (!this.#blocked || this.#closed) return Promise.resolve();
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  /** The transport drained: wake the waiting producers. */
  drained(): void {
    this.#blocked = false;
    this.#options.written?.();
    this.#wake();
  }

  /** Writes what is queued now, synchronously (before a close). */
  flush(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    const frames = this.#frames;
    const prefix = this.#prefix;
    if (frames.length === 0 && !prefix) return;
    const zeroCopy = this.#zeroCopy;
    const bytes = allocBytes((prefix?.length ?? 0) + this.#size - zeroCopy);
    let at = 0;
    if (prefix) {
      bytes.set(prefix);
      at = prefix.length;
    }
    this.#frames = [];
    this.#size = 0;
    this.#zeroCopy = 0;
    this.#prefix = null;
    let ok: boolean;
    if (zeroCopy > 0) {
      ok = this.#writePieces(bytes, at, frames);
    } else {
      for (const f of frames) at = writeFrame(bytes, at, f);
      // The batch is ours alone and never touched again: a transport may take it as it is.
      ok = this.#transport.writeOwned?.(bytes) ?? this.#transport.write(bytes);
    }
    this.#options.written?.();
    if (!ok) {
      this.#blocked = true;
      // Only past the high-water mark is the backlog worth a look; a reader that never reads
      // would otherwise have us hold its replies without bound.
      const backlog = this.#transport.bufferedAmount ?? 0;
      if (backlog > this.#maxBacklog) this.#options.overflow?.(backlog);
    }
  }

  /** One `writev`: runs of small frames from `bytes`, large payloads as they are. */
  #writePieces(bytes: Uint8Array, at: number, frames: readonly Frame[]): boolean {
    const pieces: Uint8Array[] = [];
    let start = 0;
    for (const f of frames) {
      if ('payload' in f && f.payload.length >= ZERO_COPY_MIN) {
        at = writeHeader(bytes, at, f);
        pieces.push(bytes.subarray(start, at), f.payload);
        start = at;
      } else {
        at = writeFrame(bytes, at, f);
      }
    }
    if (at > start) pieces.push(bytes.subarray(start, at));
    return this.#transport.writev!(pieces);
  }

  /** Stops sending: queued frames are dropped and waiting producers released. */
  close(): void {
    this.#closed = true;
    this.#frames = [];
    this.#size = 0;
    this.#zeroCopy = 0;
    this.#wake();
  }

  #schedule(): void {
    this.#scheduled = true;
    queueMicrotask(() => this.flush());
  }

  #wake(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const w of waiters) w();
  }
}
