/** What the queue needs of a job. */
export interface Queueable {
  /** True while the job is in the queue; the queue steps over jobs that left it otherwise. */
  readonly queued: boolean;
  /** When the job must leave the queue (performance.now() ms; Infinity for never). */
  readonly queueDue: number;
}

/** A FIFO with removal from the middle: removed entries are stepped over, and dropped in bulk once they are many. */
class Fifo<T extends Queueable> {
  #items: T[] = [];
  #head = 0;

  /** Entries held, removed ones not yet dropped included. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The first job still queued, left in place; undefined when none. */
  peek(): T | undefined {
    const items = this.#items;
    while (this.#head < items.length && !items[this.#head]!.queued) this.#head++;
    if (this.#head === items.length) {
      items.length = this.#head = 0;
      return undefined;
    }
    return items[this.#head];
  }

  /** Removes the first job (the one `peek` returned). */
  drop(): void {
    this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) this.compact();
  }

  /** Keeps only the jobs still queued. */
  compact(): void {
    this.#items = this.#items.slice(this.#head).filter((j) => j.queued);
    this.#head = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) if (this.#items[i]!.queued) yield this.#items[i]!;
  }
}

/**
 * The jobs waiting for a worker: those sent back by a failover first (they were accepted long
 * ago), then new ones, each group in the order it came. `length` counts only jobs still queued;
 * a job that leaves otherwise (aborted, timed out) is marked by the pool and stepped over here,
 * so removal costs nothing, and what it leaves behind is dropped once it outnumbers the rest.
 * One timer (armed by `due`) serves every queue deadline.
 */
export class JobQueue<T extends Queueable> {
  readonly #again = new Fifo<T>();
  readonly #fresh = new Fifo<T>();
  #length = 0;
  #timer: unknown = null;
  #armedFor = Infinity;
  readonly #expire: (now: number) => void;

  /** `expire` is called (with the time) when a job's queue deadline may have passed. */
  constructor(expire: (now: number) => void) {
    this.#expire = expire;
  }

  /** Jobs in the queue. */
  get length(): number {
    return this.#length;
  }

  /** Queues a new job at the back. */
  push(job: T): void {
    this.#fresh.push(job);
    this.#added(job);
  }

  /** Queues a job that already ran somewhere ahead of every new one. */
  pushAgain(job: T): void {
    this.#again.push(job);
    this.#added(job);
  }

  /** The next job to dispatch, left in place; undefined when the queue is empty. */
  peek(): T | undefined {
    return this.#again.peek() ?? this.#fresh.peek();
  }

  /** Takes out the job `peek` returned (the caller then marks it no longer queued). */
  shift(): void {
    if (this.#again.peek() !== undefined) this.#again.drop();
    else this.#fresh.drop();
    this.#length--;
  }

  /** A queued job left the queue otherwise (the caller marked it no longer queued). */
  removed(): void {
    this.#length--;
    const held = this.#again.size + this.#fresh.size;
    if (held > 64 && held > 2 * this.#length) {
      this.#again.compact();
      this.#fresh.compact();
    }
  }

  /** Every job in the queue, in dispatch order. */
  *[Symbol.iterator](): IterableIterator<T> {
    yield* this.#again;
    yield* this.#fresh;
  }

  /** Stops the timer for good. */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = -Infinity; // never armed again
  }

  /**
   * Arms the timer for the earliest queue deadline, after the pool has expired what was due:
   * the one timer fires at most once per deadline that stays in the queue, and a job that leaves
   * early costs only a check when its deadline comes.
   */
  rearm(now: number): void {
    let earliest = Infinity;
    for (const job of this) if (job.queueDue < earliest) earliest = job.queueDue;
    this.#arm(earliest, now);
  }

  #added(job: T): void {
    this.#length++;
    if (job.queueDue < this.#armedFor) this.#arm(job.queueDue, performance.now());
  }

  #arm(due: number, now: number): void {
    if (this.#armedFor === -Infinity) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = due;
    if (due === Infinity) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#armedFor = Infinity;
        this.#expire(performance.now());
      },
      Math.max(1, Math.ceil(due - now)),
    );
  }
}
