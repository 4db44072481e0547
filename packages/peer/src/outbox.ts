import { frameSize, writeFrame, type Frame } from '@gotalk/protocol';
import type { Transport } from './transport.ts';

/**
 * Coalesces outgoing frames: every frame sent in the same tick goes out in one transport write
 * (one buffer, header and payload together), flushed from a microtask. Tracks the transport's
 * write pressure so producers of many frames (stream parts) can wait for `drain`.
 */
export class Outbox {
  #frames: Frame[] = [];
  #size = 0;
  #scheduled = false;
  #blocked = false;
  #waiters: (() => void)[] = [];
  #closed = false;
  #prefix: Uint8Array | null;
  readonly #transport: Transport;

  constructor(transport: Transport, prefix: Uint8Array | null) {
    this.#transport = transport;
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
    if (!this.#scheduled) this.#schedule();
  }

  /** True while the transport reports it is over its high-water mark. */
  get congested(): boolean {
    return this.#blocked;
  }

  /** Resolves when the transport can take more (at once when it can). */
  writable(): Promise<void> {
    if (!this.#blocked || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The transport drained: wake the waiting producers. */
  drained(): void {
    this.#blocked = false;
    this.#wake();
  }

  /** Writes what is queued now, synchronously (before a close). */
  flush(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    const frames = this.#frames;
    const prefix = this.#prefix;
    if (frames.length === 0 && !prefix) return;
    const bytes = new Uint8Array((prefix?.length ?? 0) + this.#size);
    let at = 0;
    if (prefix) {
      bytes.set(prefix);
      at = prefix.length;
    }
    for (const f of frames) at = writeFrame(bytes, at, f);
    this.#frames = [];
    this.#size = 0;
    this.#prefix = null;
    if (!this.#transport.write(bytes)) this.#blocked = true;
  }

  /** Stops sending: queued frames are dropped and waiting producers released. */
  close(): void {
    this.#closed = true;
    this.#frames = [];
    this.#size = 0;
    this.#wake();
  }

  #schedule(): void {
    this.#scheduled = true;
    queueMicrotask(() => this.flush());
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
