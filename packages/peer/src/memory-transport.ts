import { DEFAULTS } from './defaults.ts';
import type { Transport, TransportEvents, TransportInfo } from './transport.ts';

/** Options of {@link memoryPair}. */
export interface MemoryPairOptions {
  /** Bytes the receiving side may hold undelivered before `write` returns false (default {@link DEFAULTS}`.highWaterMark`, 1 MiB). */
  readonly highWaterMark?: number;
}

/**
 * One end of an in-process byte pipe. Bytes written on one end are delivered to the other in
 * order, from a microtask, as the same chunks; a paused receiver holds them, and the writer
 * sees backpressure (`write` returns false, `drain` later) once they exceed the high-water mark.
 */
class MemoryTransport implements Transport {
  readonly info: TransportInfo = { kind: 'memory', remote: 'memory', local: 'memory' };
  other!: MemoryTransport;
  #events: TransportEvents | null = null;
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #paused = false;
  #scheduled = false;
  /** The writer ended: close once the inbox is delivered. */
  #ending = false;
  #closed = false;
  #writerBlocked = false;

  readonly #highWaterMark: number;

  constructor(highWaterMark: number) {
    this.#highWaterMark = highWaterMark;
  }

  start(events: TransportEvents): void {
    this.#events = events;
    this.#schedule();
  }

  write(bytes: Uint8Array): boolean {
    const peer = this.other;
    if (this.#closed || this.#ending || peer.#closed || peer.#ending) return true;
    peer.#inbox.push(bytes);
    peer.#inboxBytes += bytes.length;
    peer.#schedule();
    if (peer.#inboxBytes > peer.#highWaterMark) {
      this.#writerBlocked = true;
      return false;
    }
    return true;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#schedule();
  }

  close(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    this.other.#ending = true;
    this.#schedule();
    this.other.#schedule();
  }

  destroy(error?: Error): void {
    if (this.#closed) return;
    this.#inbox = [];
    this.other.#inbox = [];
    this.#finish(error);
    this.other.#finish();
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#deliver());
  }

  #deliver(): void {
    this.#scheduled = false;
    const events = this.#events;
    if (!events || this.#closed) return;
    while (!this.#paused && this.#inbox.length > 0) {
      const chunk = this.#inbox.shift()!;
      this.#inboxBytes -= chunk.length;
      events.data(chunk);
      if (this.#closed) return;
    }
    const writer = this.other;
    if (writer.#writerBlocked && this.#inboxBytes <= this.#highWaterMark) {
      writer.#writerBlocked = false;
      writer.#events?.drain();
    }
    if (this.#ending && this.#inbox.length === 0) this.#finish();
  }

  #finish(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events?.close(error);
  }
}

/** Two connected in-memory transports, for tests and in-process peers. */
export function memoryPair(options: MemoryPairOptions = {}): [Transport, Transport] {
  const hwm = options.highWaterMark ?? DEFAULTS.highWaterMark;
  const a = new MemoryTransport(hwm);
  const b = new MemoryTransport(hwm);
  a.other = b;
  b.other = a;
  return [a, b];
}
