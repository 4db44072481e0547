import { AbortedError, concat, PayloadTooLargeError, type PartSource, type ResultStream } from '@gotalk/peer';
import { attemptOptions, Job, JobState, type JobHost, type JobTerms } from './job.ts';
import type { Member } from './member.ts';

/**
 * A stream call through the pool: its result comes as parts, read by the caller from whichever
 * attempt is running. With one payload as input it may move to another worker until its first
 * part arrives (a retry result, or a lost worker when it is repeatable); after that it is bound
 * to its worker, since the caller has seen part of that worker's result. With parts as input
 * (a stream request) it is sent once: the pool cannot replay a source, so retry results are
 * handled by the peer on the same worker (the request's `retries`), and a lost worker fails it.
 *
 * The attempt holds its worker's slot until its result is read to the end, fails, or the
 * caller stops reading (`break`: the worker is told to stop, by the cancel extension).
 */
export class StreamJob extends Job implements ResultStream {
  readonly #input: Uint8Array | PartSource;
  readonly #retries: number;
  readonly #maxPayload: number;
  /** The running attempt's parts, and its member. */
  #current: AsyncIterator<Uint8Array> | null = null;
  #currentMember: Member | null = null;
  /** An attempt started that the reader has not picked up yet. */
  #ready: AsyncIterator<Uint8Array> | null = null;
  #waiter: { resolve(parts: AsyncIterator<Uint8Array>): void; reject(error: Error): void } | null = null;
  #failure: Error | null = null;
  #partsSeen = false;

  constructor(host: JobHost, terms: JobTerms, input: Uint8Array | PartSource, retries: number, maxPayload: number) {
    super(host, terms);
    this.#input = input;
    this.#retries = retries;
    this.#maxPayload = maxPayload;
  }

  override get restartable(): boolean {
    return !this.#partsSeen && this.#input instanceof Uint8Array;
  }

  start(member: Member, timeout: number): void {
    // One payload: the pool moves the job on a retry result. Parts: the peer retries them itself.
    const retries = this.#input instanceof Uint8Array ? 0 : this.#retries;
    const parts = member.connection.stream(this.op, this.#input, attemptOptions(retries, timeout, this.signal))[Symbol.asyncIterator]();
    this.#currentMember = member;
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      this.#current = parts;
      w.resolve(parts);
    } else this.#ready = parts;
  }

  settle(error: Error | null): void {
    if (!error) return;
    this.#failure = error;
    this.#ready = null;
    const w = this.#waiter;
    this.#waiter = null;
    w?.reject(error);
  }

  /** The result's parts, from whichever attempt runs. Stopping early (`break`) cancels the job. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => this.#next(),
      return: () => {
        this.#stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  async collect(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const part of this) {
      total += part.length;
      if (total > this.#maxPayload) throw new PayloadTooLargeError(total, this.#maxPayload); // the loop's exit cancels the job
      parts.push(part);
    }
    return concat(parts, total);
  }

  /** The next part of the current attempt; an attempt that fails hands over to the pool, which may start another. */
  async #next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.state === JobState.Done && this.#current === null) {
        if (this.#failure) throw this.#failure;
        return { value: undefined, done: true };
      }
      const parts = this.#current ?? (await this.#attempt());
      const member = this.#currentMember!;
      let step: IteratorResult<Uint8Array>;
      try {
        step = await parts.next();
      } catch (err) {
        if (this.#current !== parts) continue; // stopped meanwhile
        this.#current = null;
        this.host.attemptEnded(this, member, err as Error);
        continue;
      }
      if (this.#current !== parts) return { value: undefined, done: true };
      if (step.done) {
        this.#current = null;
        this.host.attemptEnded(this, member, null);
        return step;
      }
      this.#partsSeen = true;
      return step;
    }
  }

  /** The parts of the attempt that runs now, or of the next one once the pool starts it. */
  #attempt(): Promise<AsyncIterator<Uint8Array>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const ready = this.#ready;
    if (ready) {
      this.#ready = null;
      this.#current = ready;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /** The reader stopped: the running attempt is cancelled on its worker, or the job leaves the queue. */
  #stop(): void {
    if (this.state === JobState.Done) return;
    const stopped = new AbortedError(undefined, 'the caller stopped reading the stream');
    const parts = this.#current ?? this.#ready;
    if (parts && this.state === JobState.Running) {
      this.#current = this.#ready = null;
      void parts.return?.(); // the peer tells the worker (the cancel extension)
      this.host.attemptEnded(this, this.#currentMember!, stopped);
    } else this.host.cancel(this, stopped);
  }
}
