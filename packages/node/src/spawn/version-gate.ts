import type { Transport, TransportEvents, TransportInfo } from '@gotalk/peer';

/** A Gotalk stream's first bytes: the other side's version (`01`). */
const VERSION_BYTES = 2;

/**
 * Wraps the transport of a peer that a spawn helper hands out after the handshake: the other
 * side's version passes at once, everything after it waits until {@link release}. The helper
 * releases it in the turn after its promise resolved, so handlers registered right after
 * `await spawnWorker(…)` / `await connectToParent()` are in place before the first request is
 * read, even when a socket delivers that request in the same chunk as the version.
 */
export class VersionGate implements Transport {
  #seen = 0;
  #released = false;
  #held: Uint8Array[] = [];
  #events: TransportEvents | null = null;
  /** end/close that came while bytes were held: they follow those bytes. */
  #after: (() => void)[] = [];

  /** Present when the inner transport has them, so that the peer writes as it would to that transport. */
  readonly writev?: (pieces: readonly Uint8Array[]) => boolean;
  readonly writeOwned?: (bytes: Uint8Array) => boolean;

  constructor(private readonly inner: Transport) {
    if (inner.writev) this.writev = (pieces) => inner.writev!(pieces);
    if (inner.writeOwned) this.writeOwned = (bytes) => inner.writeOwned!(bytes);
  }

  get info(): TransportInfo {
    return this.inner.info ?? { kind: 'unknown' };
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount ?? 0;
  }

  start(events: TransportEvents): void {
    this.#events = events;
    this.inner.start({
      data: (chunk) => this.#data(chunk),
      drain: () => events.drain(),
      ...(events.end ? { end: () => this.#later(() => events.end!()) } : {}),
      close: (error) => this.#later(() => events.close(error)),
    });
  }

  /** Passes on what was held, and from now on everything as it comes. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    const events = this.#events;
    const held = this.#held;
    const after = this.#after;
    this.#held = [];
    this.#after = [];
    if (events) for (const chunk of held) events.data(chunk);
    for (const event of after) event();
  }

  #data(chunk: Uint8Array): void {
    const events = this.#events!;
    if (this.#released) return events.data(chunk);
    if (this.#seen < VERSION_BYTES) {
      const n = Math.min(VERSION_BYTES - this.#seen, chunk.length);
      this.#seen += n;
      events.data(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    this.#held.push(chunk);
  }

  #later(event: () => void): void {
    if (this.#released || this.#held.length === 0) event();
    else this.#after.push(event);
  }

  write(bytes: Uint8Array): boolean {
    return this.inner.write(bytes);
  }

  pause(): void {
    this.inner.pause();
  }

  resume(): void {
    this.inner.resume();
  }

  close(): void {
    this.inner.close();
  }

  destroy(error?: Error): void {
    this.inner.destroy(error);
  }
}
