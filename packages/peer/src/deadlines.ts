/** Something that times out: `expire()` is called once its time has passed, unless it is `finished` by then. */
export interface Expiring {
  readonly finished: boolean;
  expire(): void;
}

/**
 * Timeouts for many requests on few timers. Requests with the same timeout expire in the order
 * they began, so each distinct timeout keeps a first-in-first-out queue with one timer, armed
 * for its oldest entry; a per-request timer would cost a timer-list insert and removal on every
 * request. A request that finishes stays queued (finding it would cost a search); its entry is
 * skipped when reached, and the queue is compacted when such entries pile up behind a
 * long-running one, so memory stays proportional to the requests in flight.
 */
export class Deadlines {
  readonly #queues = new Map<number, DeadlineQueue>();
  #closed = false;

  /** Expires `item` after `timeout` ms (> 0); nothing after `close()`. */
  add(item: Expiring, timeout: number): void {
    if (this.#closed) return;
    let queue = this.#queues.get(timeout);
    if (!queue) {
      queue = new DeadlineQueue(timeout);
      this.#queues.set(timeout, queue);
    }
    queue.add(item);
  }

  /** Entries kept, finished ones not yet dropped included (a bound on this structure's memory). */
  get size(): number {
    let n = 0;
    for (const queue of this.#queues.values()) n += queue.size;
    return n;
  }

  /** Stops every timer for good; nothing queued or added later will expire. */
  close(): void {
    this.#closed = true;
    for (const queue of this.#queues.values()) queue.clear();
    this.#queues.clear();
  }
}

class DeadlineQueue {
  #items: Expiring[] = [];
  #due: number[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Compact when the queue grows past this; doubles with what survives a compaction. */
  #compactAt = 4096;

  constructor(readonly timeout: number) {}

  /** Entries held, the stepped-over ones at the front included. */
  get size(): number {
    return this.#items.length;
  }

  add(item: Expiring): void {
    // Requests mostly finish in order: step over finished ones at the front as we go, and let
    // go of the stepped-over part of the arrays once it is half of them (it holds on to the
    // finished requests, and with them their payloads).
    while (this.#head < this.#items.length && this.#items[this.#head]!.finished) this.#head++;
    const live = this.#items.length - this.#head;
    if (live >= this.#compactAt || (this.#head >= 1024 && this.#head >= live)) this.#compact();
    this.#items.push(item);
    this.#due.push(Date.now() + this.timeout);
    if (this.#timer === null) this.#timer = setTimeout(() => this.#fire(), this.timeout);
  }

  clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#items = [];
    this.#due = [];
    this.#head = 0;
  }

  #fire(): void {
    this.#timer = null;
    const now = Date.now();
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      if (!item.finished && this.#due[this.#head]! > now) break;
      this.#head++;
      if (!item.finished) item.expire();
    }
    if (this.#head === this.#items.length) return this.clear();
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, this.#due[this.#head]! - now));
  }

  #compact(): void {
    const items: Expiring[] = [];
    const due: number[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      if (this.#items[i]!.finished) continue;
      items.push(this.#items[i]!);
      due.push(this.#due[i]!);
    }
    this.#items = items;
    this.#due = due;
    this.#head = 0;
    this.#compactAt = Math.max(4096, 2 * items.length);
  }
}
