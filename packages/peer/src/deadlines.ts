/** Something that times out: `expire()` is called once its time has passed, unless it is `finished` by then. */
export interface Expiring {
  readonly finished: boolean;
  expire(): void;
}

/** What {@link Deadlines.add} returns: call `release()` once the item finished, before or after its time. */
export interface Deadline {
  release(): void;
}

const NO_DEADLINE: Deadline = { release() {} };

/** Queues kept, timer and all, while none of their items is pending (a handful of timeout values in steady use). */
const IDLE_QUEUES = 8;

/**
 * Timeouts for many requests on few timers. Requests with the same timeout expire in the order
 * they began, so each distinct timeout keeps a first-in-first-out queue with one timer, armed
 * for its oldest entry; a per-request timer would cost a timer-list insert and removal on every
 * request. A request that finishes stays queued (finding it would cost a search); its entry is
 * skipped when reached, and the queue is compacted when such entries pile up behind a
 * long-running one, so memory stays proportional to the requests in flight.
 *
 * A queue counts the items not yet released. When none is left, a few such idle queues keep
 * their timer armed, ready for the next request with that timeout; the others stop their timer
 * and are dropped, so timeouts of many different lengths cost nothing once their requests settled.
 */
export class Deadlines {
  /** Made with the first deadline: a connection that never makes a request with a timeout holds none. */
  #queues: Map<number, DeadlineQueue> | null = null;
  #closed = false;
  /** Whether an idle queue may stay; one that may not is removed here. Made with the first queue. */
  #keep: ((queue: DeadlineQueue) => boolean) | null = null;

  /** Expires `item` after `timeout` ms (> 0) unless it is finished by then; nothing after `close()`. */
  add(item: Expiring, timeout: number): Deadline {
    if (this.#closed) return NO_DEADLINE;
    const queues = (this.#queues ??= new Map());
    let queue = queues.get(timeout);
    if (!queue) {
      queue = new DeadlineQueue(timeout, (this.#keep ??= (q) => this.#mayStay(q)));
      queues.set(timeout, queue);
    }
    queue.add(item);
    return queue;
  }

  #mayStay(queue: DeadlineQueue): boolean {
    const queues = this.#queues;
    if (queues?.get(queue.timeout) !== queue) return false;
    if (queues.size <= IDLE_QUEUES) return true;
    queues.delete(queue.timeout);
    return false;
  }

  /** Timeout values that have a queue. */
  get queues(): number {
    return this.#queues?.size ?? 0;
  }

  /** Entries kept, finished ones not yet dropped included (a bound on this structure's memory). */
  get size(): number {
    let n = 0;
    for (const queue of this.#queues?.values() ?? []) n += queue.size;
    return n;
  }

  /** Stops every timer for good; nothing queued or added later will expire. */
  close(): void {
    this.#closed = true;
    for (const queue of this.#queues?.values() ?? []) queue.clear();
    this.#queues = null;
  }
}

class DeadlineQueue implements Deadline {
  #items: Expiring[] = [];
  #due: number[] = [];
  #head = 0;
  /** Items added and not yet released. */
  #live = 0;
  #firing = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Compact when the queue grows past this; doubles with what survives a compaction. */
  #compactAt = 4096;
  readonly #keep: (queue: DeadlineQueue) => boolean;

  constructor(
    readonly timeout: number,
    keep: (queue: DeadlineQueue) => boolean,
  ) {
    this.#keep = keep;
  }

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
    this.#live++;
    // An idle queue's timer may still be armed: it fires early and is armed again for the oldest entry.
    if (this.#timer === null) this.#timer = setTimeout(() => this.#fire(), this.timeout);
  }

  release(): void {
    if (this.#live > 0 && --this.#live === 0 && !this.#firing) this.#idle();
  }

  clear(): void {
    this.#stopTimer();
    this.#reset();
    this.#live = 0;
  }

  /**
   * Nothing is pending. A kept queue stays as it is, timer armed (its finished entries are
   * stepped over by the next add, or dropped when the timer fires); any other stops its timer
   * and is gone, entries and all.
   */
  #idle(): void {
    if (this.#keep(this)) return;
    this.#stopTimer();
    this.#reset(); // finished requests may keep this queue alive: it holds none of them
  }

  #reset(): void {
    this.#items.length = 0;
    this.#due.length = 0;
    this.#head = 0;
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #fire(): void {
    this.#timer = null;
    const now = Date.now();
    this.#firing = true; // expire() releases: the queue must not be reset under this loop
    try {
      while (this.#head < this.#items.length) {
        const item = this.#items[this.#head]!;
        if (!item.finished && this.#due[this.#head]! > now) break;
        this.#head++;
        if (!item.finished) item.expire();
      }
    } finally {
      this.#firing = false;
    }
    if (this.#head === this.#items.length) {
      this.#reset();
      this.#keep(this); // an idle queue without a timer stays only while there are few queues
      return;
    }
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
