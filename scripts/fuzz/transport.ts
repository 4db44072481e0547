import type { Transport, TransportEvents, TransportInfo } from '@gotalk/peer';

/**
 * The fuzzer's scripted transport: its far end is the fuzzer, feeding raw bytes. Like a socket,
 * it delivers input in order, holds it while the peer has paused reading, and keeps delivering
 * until the close event has gone out. Unlike one, it records everything the fuzzer checks: the
 * exact bytes delivered to the peer, every byte written, the control calls, and anything thrown
 * out of the peer's `data`, `drain` or `close` callbacks (a peer must never throw there).
 *
 * With `highWaterMark`, `write` reports pressure past that many bytes and `drain` follows on the
 * next turn of the event loop; with `writev`, the optional gathered write is offered too.
 */
export class FuzzTransport implements Transport {
  readonly info: TransportInfo = { kind: 'fuzz' };
  /** Every chunk delivered to the peer's `data`, in order. */
  readonly delivered: Uint8Array[] = [];
  /** Every chunk the peer wrote. */
  readonly writes: Uint8Array[] = [];
  writtenBytes = 0;
  /** What the peer's callbacks threw (must stay empty). */
  readonly thrown: unknown[] = [];
  /** How the peer ended the connection, if it did. */
  endedBy: 'close' | 'destroy' | null = null;
  /** True once the close event went to the peer. */
  closeSent = false;
  starts = 0;
  writev?: (pieces: readonly Uint8Array[]) => boolean;

  #events: TransportEvents | null = null;
  #pending: Uint8Array[] = [];
  #paused = false;
  #delivering = false;
  #unflushed = 0;
  #drainScheduled = false;
  readonly #highWaterMark: number;

  constructor(options: { highWaterMark?: number; writev?: boolean } = {}) {
    this.#highWaterMark = options.highWaterMark ?? Infinity;
    if (options.writev) this.writev = (pieces) => this.#writeAll(pieces);
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Bytes fed and not yet delivered (held while the peer does not read). */
  get pendingChunks(): number {
    return this.#pending.length;
  }

  start(events: TransportEvents): void {
    this.starts++;
    this.#events = events;
  }

  write(bytes: Uint8Array): boolean {
    return this.#writeAll([bytes]);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    queueMicrotask(() => this.#deliver());
  }

  close(): void {
    this.endedBy ??= 'close';
    queueMicrotask(() => this.#sendClose(undefined));
  }

  destroy(error?: Error): void {
    this.endedBy ??= 'destroy';
    this.#pending = [];
    queueMicrotask(() => this.#sendClose(error));
  }

  // ----- the far end -----

  /** Feeds `chunk` to the peer: delivered now unless the peer paused reading. */
  feed(chunk: Uint8Array): void {
    if (this.closeSent) return;
    this.#pending.push(chunk);
    this.#deliver();
  }

  /** The far end goes away: the peer gets its close event now. */
  hangUp(): void {
    this.#pending = [];
    this.#sendClose(undefined);
  }

  #writeAll(pieces: readonly Uint8Array[]): boolean {
    if (this.endedBy || this.closeSent) return true;
    for (const p of pieces) {
      this.writes.push(p);
      this.writtenBytes += p.length;
      this.#unflushed += p.length;
    }
    if (this.#unflushed <= this.#highWaterMark) return true;
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      setImmediate(() => {
        this.#drainScheduled = false;
        this.#unflushed = 0;
        if (!this.closeSent) this.#call(() => this.#events?.drain());
      });
    }
    return false;
  }

  #deliver(): void {
    if (this.#delivering) return; // never re-entrantly
    this.#delivering = true;
    try {
      while (this.#events && !this.#paused && !this.closeSent && this.#pending.length > 0) {
        const chunk = this.#pending.shift()!;
        this.delivered.push(chunk);
        this.#call(() => this.#events!.data(chunk));
      }
    } finally {
      this.#delivering = false;
    }
  }

  #sendClose(error: Error | undefined): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.#pending = [];
    this.#call(() => this.#events?.close(error));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.thrown.push(err);
    }
  }
}
