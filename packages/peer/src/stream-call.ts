import type { ReplyFrame } from '@gotalk/protocol';
import { ClosedError, PayloadTooLargeError, RetryExhaustedError } from './errors.ts';
import { remoteError } from './remote-errors.ts';
import type { PartSource, RequestOptions, ResultStream } from './api.ts';
import { RequestBase, RequestState, type RequestHost } from './outgoing.ts';
import { PartQueue } from './part-queue.ts';
import { EMPTY, text } from './payload.ts';

/** How far a stream call's input has gone out under its current id (a const enum, as {@link RequestState}). */
const enum Upload {
  /** Nothing yet: the `s` that opens the stream request is still to be sent (again, after a retry result). */
  Unopened,
  /** The `s` went out; parts follow as the source yields them. */
  Open,
  /** The empty `p` went out: the input is complete (a retry resends it whole, end included). */
  Ended,
}

/**
 * A request whose result is a stream (`S` parts, or one `R`), sent either as a single request
 * (`r`, when the input is one payload) or as a stream request (`s` + `p` parts + an empty `p`).
 *
 * Input parts go out as the source yields them, each waiting for the transport to drain when
 * it is congested. Parts sent before the first reply are kept (up to the stream buffer size) so
 * that a retry result can be answered by resending them under a new id; past that, or after
 * any other reply, a retry result fails the call.
 */
export class StreamCall extends RequestBase implements ResultStream {
  readonly #queue: PartQueue;
  #replay: Uint8Array[] | null = [];
  /** A reply other than a retry result came: the result has begun, and can no longer be retried. */
  #answered = false;
  #replayBytes = 0;
  #upload = Upload.Unopened;
  #gate: Promise<void> | null = null;
  #openGate: (() => void) | null = null;
  readonly #input: Uint8Array | PartSource;
  /** The source's iterator while the pump reads it (let go of when the call settles). */
  #source: Iterator<Uint8Array> | AsyncIterator<Uint8Array> | null = null;

  constructor(host: RequestHost, op: string, input: Uint8Array | PartSource, options: RequestOptions) {
    super(host, op, options, 0);
    this.#input = input;
    this.#queue = new PartQueue(host.settings.limits.streamBuffer, (on) => host.congestion(on));
    this.begin(true);
    if (!this.finished && !(input instanceof Uint8Array)) void this.#pump(input);
  }

  /** The result's parts. Stopping early (`break`) cancels the call: the other side stops producing. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const queue = this.#queue;
    return {
      next: () => queue.next(),
      return: () => {
        this.finish(null, true);
        return queue.return();
      },
    };
  }

  async collect(): Promise<Uint8Array> {
    try {
      return await this.#queue.collect(this.host.settings.limits.maxPayload);
    } catch (err) {
      // Over the limit: the call ends here (later parts are ignored), as a single request's would.
      if (err instanceof PayloadTooLargeError) this.finish(err, true);
      throw err;
    }
  }

  protected transmit(): void {
    const input = this.#input;
    if (input instanceof Uint8Array) {
      this.sendRequest('r', input);
      return;
    }
    // A retry: replay what was sent under the previous id, then let the pump go on.
    if (!this.#replay || this.#replay.length === 0) return;
    const ended = this.#upload === Upload.Ended;
    this.#upload = Upload.Unopened;
    for (const part of this.#replay) this.#sendPart(part);
    if (ended) this.#sendEnd();
    this.#release();
  }

  #sendPart(part: Uint8Array): void {
    if (this.#upload !== Upload.Unopened) {
      this.host.send({ type: 'p', id: this.id, payload: part });
    } else {
      this.sendRequest('s', part); // throws for an invalid op name: then nothing was opened
      this.#upload = Upload.Open;
    }
  }

  /** The empty `p` that completes the input. */
  #sendEnd(): void {
    this.#upload = Upload.Ended;
    this.host.send({ type: 'p', id: this.id, payload: EMPTY });
  }

  /**
   * Sends the source's parts as they come. The source is let go of (its `return()` called, as a
   * `for await` loop would) as soon as the call settles, even while it is waiting for its next
   * part: an iterator whose `return()` acts at once (over a file handle or a socket, say) is
   * released then. (An async generator runs its `finally` only once its pending step settles.)
   */
  async #pump(source: PartSource): Promise<void> {
    const iterator: Iterator<Uint8Array> | AsyncIterator<Uint8Array> =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    this.#source = iterator;
    let exhausted = false; // the source ended, or threw: nothing to let go of
    try {
      for (;;) {
        let step: IteratorResult<Uint8Array>;
        try {
          step = await iterator.next();
        } catch (err) {
          exhausted = true;
          if (this.#source === iterator) this.#source = null; // a source that threw is done: not returned
          throw err;
        }
        if (step.done) {
          exhausted = true;
          break;
        }
        const part = step.value;
        if (this.#gate) await this.#gate;
        if (this.finished) break;
        if (part.length === 0 && this.#upload !== Upload.Unopened) continue; // an empty p would end the stream
        const max = this.host.settings.limits.maxPayload;
        if (part.length > max) throw new PayloadTooLargeError(part.length, max);
        this.#keep(part);
        this.#sendPart(part);
        if (this.host.congested) await this.host.writable();
      }
      if (this.#gate) await this.#gate;
      // Settled (aborted, timed out, failed) before the input ended: never start the request now.
      if (this.finished) return this.#endInput();
      if (this.#upload === Upload.Ended || !this.host.open) return;
      if (this.#upload === Upload.Unopened) {
        this.#keep(EMPTY); // an empty stream is resent as such after a retry result
        this.#sendPart(EMPTY);
      }
      this.#sendEnd();
    } catch (err) {
      // The source failed: end the request on the wire and fail it here.
      this.#endInput();
      this.finish(err instanceof Error ? err : new Error(String(err)), true);
    } finally {
      if (exhausted && this.#source === iterator) this.#source = null;
      this.#letGoOfSource();
    }
  }

  /** Calls the source's `return()` once, if it is still held. */
  #letGoOfSource(): void {
    const iterator = this.#source;
    this.#source = null;
    if (!iterator?.return) return;
    try {
      void Promise.resolve(iterator.return()).catch(() => {});
    } catch {
      // a source that fails to close has nothing more to give
    }
  }

  /** Ends the input on the wire if it was opened and not yet ended. */
  #endInput(): void {
    if (this.#upload === Upload.Open && this.host.open) this.#sendEnd();
  }

  #release(): void {
    const open = this.#openGate;
    this.#gate = null;
    this.#openGate = null;
    open?.();
  }

  #keep(part: Uint8Array): void {
    if (!this.#replay) return;
    this.#replayBytes += part.length;
    if (this.#replayBytes > this.host.settings.limits.streamBuffer) this.#replay = null;
    else this.#replay.push(part);
  }

  reply(frame: ReplyFrame): void {
    if (this.state !== RequestState.Pending) return;
    if (frame.type === 'e') {
      if (this.#answered) {
        return this.finish(new RetryExhaustedError(this.attempts + 1, frame.wait, `retry asked for after the result began: ${text(frame.payload)}`));
      }
      if (!this.#replay && !(this.#input instanceof Uint8Array)) {
        return this.finish(new RetryExhaustedError(this.attempts + 1, frame.wait, 'too much was sent to retry the stream'));
      }
      this.#gate = new Promise((resolve) => (this.#openGate = resolve));
      return this.retry(frame.wait, text(frame.payload), true);
    }
    this.#replay = null;
    this.#answered = true;
    switch (frame.type) {
      case 'S':
        if (frame.payload.length > 0) return this.#queue.push(frame.payload);
        return this.finish(null);
      case 'R':
        if (frame.payload.length > 0) this.#queue.push(frame.payload);
        return this.finish(null);
      case 'E':
        return this.finish(remoteError(frame.payload));
    }
  }

  protected settle(error: Error | null): void {
    if (error) this.#queue.fail(error);
    else this.#queue.end();
    this.#letGoOfSource();
    this.#replay = null;
    this.#release();
    // A request failed here while its input was still going out: end it on the wire.
    if (error && !(error instanceof ClosedError)) this.#endInput();
  }
}
