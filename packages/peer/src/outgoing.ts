import type { Frame, ReplyFrame, RequestFrame, RequestId, StreamRequestFrame } from '@gotalk/protocol';
import { requestEvent, type ActivityEvent } from './activity.ts';
import { AbortedError, ClosedError, PayloadTooLargeError, RetryExhaustedError, TimeoutError, invalidName } from './errors.ts';
import { remoteError } from './remote-errors.ts';
import type { Deadline, Deadlines } from './deadlines.ts';
import type { RequestOptions } from './api.ts';
import { MAX_DELAY, type Settings } from './options.ts';
import { concat, EMPTY, text } from './payload.ts';

/** What a request in flight needs from its peer. */
export interface RequestHost {
  readonly settings: Settings;
  /** Where requests' timeouts are kept. */
  readonly deadlines: Deadlines;
  /** Registers `request` under a fresh id and returns the id (single ids may wrap, stream ids never do). */
  register(request: Outgoing, stream: boolean): RequestId;
  /** The error for a request tried on a closed connection, saying why it closed. */
  closedError(): ClosedError;
  /** Forgets an id: later replies to it are ignored. */
  unregister(id: RequestId): void;
  /** Tells the other side that this side gave up on request `id` (the cancel extension). */
  cancel(id: RequestId): void;
  send(frame: Frame): void;
  /** Resolves when the transport can take more bytes. */
  writable(): Promise<void>;
  /** True while the transport is over its high-water mark. */
  readonly congested: boolean;
  /** A result queue is over (true) or back under (false) its byte budget. */
  congestion(on: boolean): void;
  /** False once the connection is closed. */
  readonly open: boolean;
  /** True while anyone listens to activity: events on the per-request path are built only then. */
  readonly watched: boolean;
  activity(event: ActivityEvent): void;
}

/** A request in flight, as the peer's reply dispatch sees it. */
export interface Outgoing {
  /** A reply frame for this request's current id. */
  reply(frame: ReplyFrame): void;
  /** Ends the request with `error` (connection closed). */
  fail(error: Error): void;
}

/** The wait before a retry the responder left to us (wait 0): 50 ms doubling, at most 2 s. */
export function backoff(attempt: number): number {
  return Math.min(50 * 2 ** (attempt - 1), 2000);
}

/**
 * Deadline, abort signal and retry bookkeeping shared by single and stream requests. A
 * subclass sends the request (`transmit`) and settles it (`settle`).
 */
/** Where a request is in its life (a const enum: names here, small numbers in the bundle). */
export const enum RequestState {
  /** Sent (or about to be) under its current id: its replies are taken. */
  Pending,
  /** Between a retry result and the resend under a new id: replies are ignored. */
  Retrying,
  /** Settled (result, error, timeout, abort or close): nothing more happens. */
  Settled,
}

export abstract class RequestBase implements Outgoing {
  protected id: RequestId = -1;
  protected attempts = 0;
  protected state = RequestState.Pending;
  readonly #timeout: number;
  #retryTimer: unknown = null;
  #deadline: Deadline | null = null;
  readonly #signal: AbortSignal | undefined;
  readonly #maxRetries: number;
  /** Made only for requests with a signal: most have none, and this is the per-request hot path. */
  #onAbort: (() => void) | null = null;

  constructor(
    protected readonly host: RequestHost,
    protected readonly op: string,
    options: RequestOptions,
    defaultTimeout: number,
  ) {
    this.#maxRetries = options.retries ?? host.settings.retries;
    this.#signal = options.signal;
    this.#timeout = Math.min(options.timeout ?? defaultTimeout, MAX_DELAY);
    if (this.#timeout > 0) this.#deadline = host.deadlines.add(this, this.#timeout);
    if (this.#signal) {
      const signal = this.#signal;
      this.#onAbort = () => this.finish(new AbortedError(signal.reason), true);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** True once settled (also what the peer's deadlines read). */
  get finished(): boolean {
    return this.state === RequestState.Settled;
  }

  /** The request's time ran out. */
  expire(): void {
    this.finish(new TimeoutError(`request "${this.op}" timed out after ${this.#timeout} ms`), true);
  }

  abstract reply(frame: ReplyFrame): void;
  /** Sends the request (again) under `this.id`. */
  protected abstract transmit(): void;
  /** Settles the caller's side with `error`, or successfully when null. */
  protected abstract settle(error: Error | null): void;

  /** Checks the abort signal, the connection and the op name, then registers and sends. */
  protected begin(stream: boolean): void {
    if (this.#signal?.aborted) return this.finish(new AbortedError(this.#signal.reason));
    if (!this.host.open) return this.finish(this.host.closedError());
    const badName = invalidName(this.op, 'op');
    if (badName) return this.finish(badName);
    this.#registerAndTransmit(stream);
  }

  fail(error: Error): void {
    this.finish(error);
  }

  /** Handles a retry result: resend under a new id after the wait, or give up. Returns false when given up. */
  protected retry(wait: number, message: string, stream: boolean): void {
    this.attempts++;
    if (this.attempts > this.#maxRetries) {
      this.finish(new RetryExhaustedError(this.attempts, wait, message));
      return;
    }
    this.state = RequestState.Retrying;
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = null;
        if (this.state === RequestState.Settled) return;
        if (!this.host.open) return this.finish(this.host.closedError());
        this.host.unregister(this.id);
        this.state = RequestState.Pending;
        this.#registerAndTransmit(stream);
      },
      wait > 0 ? Math.min(wait, MAX_DELAY) : backoff(this.attempts),
    ); // a remote may ask for up to 0xffffffff ms
  }

  /** Registers a fresh id and sends under it; if that fails (the connection is closing…), the request ends with the error. */
  #registerAndTransmit(stream: boolean): void {
    try {
      this.id = this.host.register(this, stream);
      this.transmit();
    } catch (err) {
      this.finish(err as Error);
    }
  }

  /** Sends the request frame (`r`, or the `s` that opens a stream request) under the current id, and reports it. */
  protected sendRequest(type: 'r' | 's', payload: Uint8Array): void {
    const frame: RequestFrame | StreamRequestFrame = { type, id: this.id, op: this.op, payload };
    this.host.send(frame);
    if (this.host.watched) this.host.activity(requestEvent('out', frame));
  }

  /**
   * Ends the request once: clears timers and listeners, forgets the id, settles. `giveUp`: this
   * side stops waiting before the other side answered (abort, timeout, a result it will not
   * read), so the other side is told to stop too (the cancel extension).
   */
  protected finish(error: Error | null, giveUp = false): void {
    if (this.state === RequestState.Settled) return;
    if (giveUp && this.state === RequestState.Pending && this.id >= 0 && this.host.open) this.host.cancel(this.id);
    this.state = RequestState.Settled;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#deadline?.release();
    this.#deadline = null;
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.id >= 0) this.host.unregister(this.id);
    this.settle(error);
  }
}

/**
 * A single request (`r`) awaiting one result. Also accepts a stream result (`S` parts, joined,
 * bounded by the payload limit), which the spec allows.
 */
export class SingleRequest extends RequestBase {
  // Dropped once settled: a finished request may stay in its timeout queue for a while, and
  // through these it would hold its promise and the result the promise carries.
  #resolve: ((value: unknown) => void) | null;
  #reject: ((error: Error) => void) | null;
  /** Turns the result's payload into what the promise resolves with (JSON's parse), or null for the bytes. */
  readonly #decode: ((payload: Uint8Array) => unknown) | null;
  #result: Uint8Array | null = null;
  #parts: Uint8Array[] | null = null;
  #total = 0;
  #payload: Uint8Array;

  /**
   * Sends request `op` with `payload`: the promise of its result's payload, or of
   * `decode(payload)` when given (one promise either way; it rejects with what `decode` throws).
   */
  static send(
    host: RequestHost,
    op: string,
    payload: Uint8Array,
    options: RequestOptions,
    decode: ((payload: Uint8Array) => unknown) | null,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => void new SingleRequest(host, op, payload, options, decode, resolve, reject));
  }

  private constructor(
    host: RequestHost,
    op: string,
    payload: Uint8Array,
    options: RequestOptions,
    decode: ((payload: Uint8Array) => unknown) | null,
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
  ) {
    super(host, op, options, host.settings.requestTimeout);
    this.#payload = payload;
    this.#decode = decode;
    this.#resolve = resolve;
    this.#reject = reject;
    const max = host.settings.limits.maxPayload;
    if (payload.length > max) this.finish(new PayloadTooLargeError(payload.length, max));
    else this.begin(false);
  }

  protected transmit(): void {
    this.sendRequest('r', this.#payload);
  }

  reply(frame: ReplyFrame): void {
    if (this.state !== RequestState.Pending) return;
    switch (frame.type) {
      case 'R':
        this.#result = frame.payload;
        return this.finish(null);
      case 'E':
        return this.finish(remoteError(frame.payload));
      case 'e':
        // Parts of this attempt's result already came: a resend could not be told apart from them.
        if (this.#parts)
          return this.finish(new RetryExhaustedError(this.attempts + 1, frame.wait, `retry asked for after the result began: ${text(frame.payload)}`));
        return this.retry(frame.wait, text(frame.payload), false);
      case 'S': {
        if (frame.payload.length === 0) {
          this.#result = concat(this.#parts ?? [], this.#total);
          return this.finish(null);
        }
        this.#total += frame.payload.length;
        const max = this.host.settings.limits.maxPayload;
        if (this.#total > max) return this.finish(new PayloadTooLargeError(this.#total, max), true);
        (this.#parts ??= []).push(frame.payload);
      }
    }
  }

  protected settle(error: Error | null): void {
    if (error) this.#reject!(error);
    else if (!this.#decode) this.#resolve!(this.#result!);
    else {
      try {
        this.#resolve!(this.#decode(this.#result!));
      } catch (err) {
        this.#reject!(err as Error);
      }
    }
    // Settled: keep nothing alive that the caller no longer needs.
    this.#resolve = this.#reject = null;
    this.#parts = null;
    this.#result = null;
    this.#payload = EMPTY;
  }
}
