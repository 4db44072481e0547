import { PayloadTooLargeError } from './errors.ts';
import { concat } from './payload.ts';

/**
 * A single-consumer async queue of payload parts with a byte budget. The producer (the
 * connection's frame loop) never waits: it pushes, and when the buffered bytes go over
 * `limit` the queue reports congestion so the peer stops reading from the transport; once the
 * consumer has drained it to half the limit it reports relief. A consumer that stops early
 * (`break`) discards the rest. `release` (optional) is told of every part's bytes once the
 * queue no longer holds them: handed to the consumer, dropped, or pushed after the end.
 */
/** Where a {@link PartQueue} is in its life (a const enum: names here, small numbers in the bundle). */
const enum QueueState {
  /** Parts may still arrive. */
  Open,
  /** No more parts will come: the consumer reads what is left, then the end. */
  Ended,
  /** Failed: the consumer reads what is left, then the error. */
  Failed,
  /** The consumer has read the end or the error, or stopped early: nothing more happens. */
  Done,
}

export class PartQueue implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  #items: Uint8Array[] = [];
  #head = 0;
  #buffered = 0;
  #state = QueueState.Open;
  #failure: unknown;
  /** Over the byte budget: the peer has stopped reading the connection for this queue. */
  #congested = false;
  #waiter: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void } | null = null;

  readonly #limit: number;
  readonly #onCongestion: (congested: boolean) => void;
  readonly #release: ((bytes: number) => void) | null;

  constructor(limit: number, onCongestion: (congested: boolean) => void, release: ((bytes: number) => void) | null = null) {
    this.#limit = limit;
    this.#onCongestion = onCongestion;
    this.#release = release;
  }

  /** True once ended, failed or given up by the consumer: further pushes are ignored. */
  get closed(): boolean {
    return this.#state !== QueueState.Open;
  }

  /** Adds a part (ignored when closed). */
  push(part: Uint8Array): void {
    if (this.closed) return this.#release?.(part.length);
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      this.#release?.(part.length);
      w.resolve({ value: part, done: false });
      return;
    }
    this.#items.push(part);
    this.#buffered += part.length;
    if (!this.#congested && this.#buffered > this.#limit) {
      this.#congested = true;
      this.#onCongestion(true);
    }
  }

  /** Ends the stream after the parts already pushed. */
  end(): void {
    if (this.#state !== QueueState.Open) return;
    this.#state = QueueState.Ended;
    this.#closing();
  }

  /** Fails the stream: the consumer gets `error` after the parts already pushed. */
  fail(error: unknown): void {
    if (this.#state !== QueueState.Open) return;
    this.#state = QueueState.Failed;
    this.#failure = error;
    this.#closing();
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#head < this.#items.length) {
      const part = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as unknown as Uint8Array;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      }
      this.#buffered -= part.length;
      this.#release?.(part.length);
      this.#relieve();
      return Promise.resolve({ value: part, done: false });
    }
    if (this.#state === QueueState.Failed) {
      this.#state = QueueState.Done;
      return Promise.reject(this.#failure);
    }
    if (this.#state !== QueueState.Open) {
      this.#state = QueueState.Done;
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter) return Promise.reject(new Error('PartQueue has a single consumer'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The consumer is done (e.g. `break`): drop what is buffered and ignore further parts. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.#state = QueueState.Done;
    const dropped = this.#buffered;
    this.#items = [];
    this.#head = 0;
    this.#buffered = 0;
    if (dropped > 0) this.#release?.(dropped);
    this.#relieve();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  /**
   * Reads every remaining part and returns them joined. Past `max` bytes it stops, drops the
   * rest (as `return()` does) and throws {@link PayloadTooLargeError}.
   */
  async collect(max = Infinity): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const p of this) {
      total += p.length;
      if (total > max) throw new PayloadTooLargeError(total, max); // leaving the loop returns the rest
      parts.push(p);
    }
    return concat(parts, total);
  }

  /** Ended or failed: release the transport, and settle a consumer waiting with nothing left to read. */
  #closing(): void {
    this.#uncongest();
    const w = this.#waiter;
    if (!w || this.#head < this.#items.length) return;
    this.#waiter = null;
    const failed = this.#state === QueueState.Failed;
    this.#state = QueueState.Done;
    if (failed) w.reject(this.#failure);
    else w.resolve({ value: undefined, done: true });
  }

  /** Stops holding the transport back: no more parts can arrive, or the consumer caught up. */
  #uncongest(): void {
    if (this.#congested) {
      this.#congested = false;
      this.#onCongestion(false);
    }
  }

  /** The consumer read to half the limit: the transport may go on. */
  #relieve(): void {
    if (this.#buffered <= this.#limit / 2) this.#uncongest();
  }
}
