import { DEFAULTS } from './defaults.ts';
import { ClosedError, GotalkError } from './errors.ts';
import type { Transport, TransportEvents, TransportInfo } from './transport.ts';

/** The event a {@link MessagePortLike} hands its `message` listeners. */
export interface MessageEventLike {
  readonly data: unknown;
}

/**
 * What {@link MessagePortTransport} needs of one end of a message channel: a browser
 * `MessagePort`, `Worker` or a worker's `self` fit as they are; `@gotalk/node`'s
 * `threadTransport` adapts a Node `Worker` or `MessagePort`.
 */
export interface MessagePortLike {
  /** Posts `message` to the other end, moving the buffers in `transfer` rather than copying them. */
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  /** Starts calling `listener` with each message from the other end. */
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  /** Stops calling `listener`. */
  removeEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  /** Called once, when present, after the listener is added (a `MessagePort` delivers nothing before). */
  start?(): void;
}

/** Options of {@link MessagePortTransport}. */
export interface MessagePortTransportOptions {
  /**
   * The credit window: bytes sent and not yet acknowledged past which `write` returns false
   * (default {@link DEFAULTS}`.highWaterMark`, 1 MiB). Both ends should use the same.
   */
  readonly highWaterMark?: number;
  /** What `info` says about the other end (default `{ kind: 'message-port' }`). */
  readonly info?: TransportInfo;
  /** ms `close()` waits for the other side to end too before it gives up (default {@link DEFAULTS}`.closeGrace`). */
  readonly closeGrace?: number;
}

/**
 * The messages the two ends exchange; every one is an object tagged `gotalk`, so a port may
 * carry the application's own messages too (those are left alone).
 * - `data`: Gotalk bytes, in order, with the acknowledgement of bytes delivered here, if any.
 * - `ack`: bytes of the other side's data delivered here since the last acknowledgement.
 * - `end`: the sender sends nothing more (a clean close, both ends send one).
 * - `abort`: the sender destroyed the connection.
 */
type PortMessage =
  | { readonly gotalk: 'data'; readonly bytes: Uint8Array; readonly ack?: number }
  | { readonly gotalk: 'ack'; readonly bytes: number }
  | { readonly gotalk: 'end' }
  | { readonly gotalk: 'abort'; readonly reason: string };

function isPortMessage(m: unknown): m is { readonly gotalk: unknown } {
  return typeof m === 'object' && m !== null && 'gotalk' in m;
}

/** True when `bytes` is a whole `ArrayBuffer` (not a view into a larger one, not shared memory). */
function isWhole(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer && bytes.byteLength === bytes.buffer.byteLength;
}

/** Keeps a timer from holding the process open where the runtime can (Node's `unref`). */
function unref(timer: unknown): void {
  (timer as { unref?: () => void } | null)?.unref?.();
}

/**
 * A {@link Transport} over a message channel (a worker thread's port, a `MessageChannel`, a
 * browser `Worker`). A port has no backpressure of its own, so the ends exchange credit: the
 * receiver acknowledges the bytes it has delivered to its peer (never those it holds while
 * paused), and the sender stops posting once `highWaterMark` bytes are unacknowledged: `write`
 * returns false, later writes wait here, and `drain` follows when acknowledgements make room.
 * The other thread's queue therefore stays under twice the window (a write larger than the
 * window goes out in window-sized pieces), and one that sends past four windows undelivered is
 * destroyed with `PROTOCOL_ERROR`.
 *
 * Bytes are moved, not copied, across the channel: a buffer handed over with `writeOwned` (each
 * batch the peer builds) is transferred; `write` transfers a copy of exactly its bytes.
 *
 * `close()` sends an `end` once what waits for credit is out; the connection is closed when both
 * ends have sent theirs (or after `closeGrace`). The host tells the transport when the port
 * itself is gone (the worker exited) with {@link portClosed}; unless both ends had ended by then,
 * the connection ends with that error.
 */
export class MessagePortTransport implements Transport {
  readonly info: TransportInfo;
  readonly #port: MessagePortLike;
  readonly #window: number;
  readonly #closeGrace: number;
  #events: TransportEvents | null = null;

  // Sending.
  #unacked = 0;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #blocked = false;

  // Receiving.
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #paused = false;
  #delivering = false;
  #deliveryScheduled = false;
  #toAck = 0;
  #ackScheduled = false;

  // Ending.
  /** close() was called: `end` goes out once nothing waits for credit. */
  #ending = false;
  #sentEnd = false;
  #gotEnd = false;
  /** The other side's `end` was passed on (after every byte before it). */
  #endDelivered = false;
  #portGone = false;
  #closed = false;
  #closeError: Error | undefined;
  #graceTimer: unknown = null;

  constructor(port: MessagePortLike, options: MessagePortTransportOptions = {}) {
    const window = options.highWaterMark ?? DEFAULTS.highWaterMark;
    if (!Number.isSafeInteger(window) || window < 1) throw new RangeError(`highWaterMark must be a positive integer, got ${window}`);
    this.#port = port;
    this.#window = window;
    this.#closeGrace = options.closeGrace ?? DEFAULTS.closeGrace;
    this.info = options.info ?? { kind: 'message-port' };
    // Listen at once: what arrives before start() waits in the inbox.
    port.addEventListener('message', this.#onMessage);
    port.start?.();
  }

  start(events: TransportEvents): void {
    this.#events = events;
    if (this.#closed) {
      const error = this.#closeError;
      queueMicrotask(() => events.close(error));
      return;
    }
    this.#scheduleDelivery();
  }

  /** Sends a copy of `bytes` (exactly its bytes, moved across). */
  write(bytes: Uint8Array): boolean {
    return this.#send(bytes, false);
  }

  /** Sends `bytes`, transferring its buffer to the other side when it is a whole `ArrayBuffer`. */
  writeOwned(bytes: Uint8Array): boolean {
    return this.#send(bytes, true);
  }

  /** Bytes written and not yet acknowledged by the other side: in its queue, or waiting here for credit. */
  get bufferedAmount(): number {
    return this.#unacked + this.#heldBytes;
  }

  /** Bytes received and not yet delivered (held while paused). */
  get queued(): number {
    return this.#inboxBytes;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#scheduleDelivery();
  }

  close(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    this.#graceTimer = setTimeout(() => this.destroy(), this.#closeGrace);
    unref(this.#graceTimer);
    this.#maybeSendEnd();
  }

  destroy(error?: Error): void {
    if (this.#closed) return;
    this.#post({ gotalk: 'abort', reason: error?.message ?? '' }, []);
    this.#finish(error);
  }

  /**
   * The port is gone: its worker exited, or it was closed. Ends the connection with `error`
   * (default: a `CLOSED` error saying so), unless the other side had ended cleanly first; what
   * arrived before that end is still delivered then.
   */
  portClosed(error?: Error): void {
    if (this.#closed || this.#portGone) return;
    this.#portGone = true;
    this.#port.removeEventListener('message', this.#onMessage);
    if (!this.#gotEnd) return this.#finish(error ?? new ClosedError('the message port closed before the connection ended'));
    // Nothing can reach the other side any more: once its end is passed on, the connection is done.
    if (this.#endDelivered) this.#finish();
  }

  // ----- sending -----

  #send(bytes: Uint8Array, owned: boolean): boolean {
    if (this.#closed || this.#ending || this.#portGone) return true;
    if (bytes.length > this.#window) {
      // Window-sized pieces, so that the other side never holds more than two windows.
      for (let at = 0; at < bytes.length; at += this.#window) this.#queue(bytes.slice(at, at + this.#window));
    } else if (bytes.length > 0) {
      this.#queue(owned && isWhole(bytes) ? bytes : bytes.slice());
    }
    const ok = this.bufferedAmount <= this.#window;
    if (!ok) this.#blocked = true;
    return ok;
  }

  /** Posts `piece` (a buffer of ours) if there is credit, else holds it. */
  #queue(piece: Uint8Array): void {
    if (this.#held.length === 0 && this.#unacked < this.#window) return this.#postData(piece);
    this.#held.push(piece);
    this.#heldBytes += piece.length;
  }

  #postData(piece: Uint8Array): void {
    const ack = this.#takeAck();
    this.#unacked += piece.length;
    this.#post(ack > 0 ? { gotalk: 'data', bytes: piece, ack } : { gotalk: 'data', bytes: piece }, [piece.buffer as ArrayBuffer]);
  }

  #post(message: PortMessage, transfer: ArrayBuffer[]): void {
    try {
      this.#port.postMessage(message, transfer);
    } catch (err) {
      // Never from inside write(): the caller is mid-flush.
      queueMicrotask(() => this.#finish(err instanceof Error ? err : new Error(String(err))));
    }
  }

  #acked(n: unknown): void {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0 || n > this.#unacked) {
      return this.#violation(`an acknowledgement of ${String(n)} bytes when ${this.#unacked} are unacknowledged`);
    }
    this.#unacked -= n;
    while (this.#held.length > 0 && this.#unacked < this.#window) {
      const piece = this.#held.shift()!;
      this.#heldBytes -= piece.length;
      this.#postData(piece);
    }
    this.#maybeSendEnd();
    if (this.#blocked && this.bufferedAmount <= this.#window) {
      this.#blocked = false;
      this.#events?.drain();
    }
  }

  #maybeSendEnd(): void {
    if (!this.#ending || this.#sentEnd || this.#held.length > 0 || this.#closed) return;
    this.#sentEnd = true;
    this.#post({ gotalk: 'end' }, []);
    if (this.#endDelivered) this.#finish();
  }

  // ----- receiving -----

  readonly #onMessage = (event: MessageEventLike): void => {
    const m = event.data;
    if (!isPortMessage(m) || this.#closed) return; // not ours: the application's own message
    const message = m as PortMessage;
    switch (message.gotalk) {
      case 'data': {
        const { bytes, ack } = message;
        if (!(bytes instanceof Uint8Array)) return this.#violation('a data message without bytes');
        if (this.#gotEnd) return this.#violation('data after the end');
        if (ack !== undefined) {
          this.#acked(ack);
          if (this.#closed) return;
        }
        this.#inbox.push(bytes);
        this.#inboxBytes += bytes.length;
        if (this.#inboxBytes > 4 * this.#window) return this.#violation(`${this.#inboxBytes} bytes sent past the credit of ${this.#window}`);
        return this.#deliver();
      }
      case 'ack':
        return this.#acked(message.bytes);
      case 'end':
        this.#gotEnd = true;
        return this.#deliver();
      case 'abort': {
        const reason = typeof message.reason === 'string' && message.reason ? `: ${message.reason}` : '';
        return this.#finish(new ClosedError(`the other side aborted the connection${reason}`));
      }
      default:
        return this.#violation(`an unknown message ${JSON.stringify(String((m as { gotalk: unknown }).gotalk))}`);
    }
  };

  #scheduleDelivery(): void {
    if (this.#deliveryScheduled) return;
    this.#deliveryScheduled = true;
    queueMicrotask(() => {
      this.#deliveryScheduled = false;
      this.#deliver();
    });
  }

  /** Passes the inbox on while not paused, then the other side's end; acknowledges what it passed. */
  #deliver(): void {
    const events = this.#events;
    if (!events || this.#delivering || this.#closed) return;
    this.#delivering = true;
    try {
      while (!this.#paused && this.#inbox.length > 0) {
        const chunk = this.#inbox.shift()!;
        this.#inboxBytes -= chunk.length;
        this.#toAck += chunk.length;
        events.data(chunk);
        if (this.#closed) return;
      }
    } finally {
      this.#delivering = false;
    }
    if (this.#toAck > 0) this.#scheduleAck();
    if (this.#gotEnd && !this.#endDelivered && !this.#paused && this.#inbox.length === 0) this.#remoteEnded(events);
  }

  #remoteEnded(events: TransportEvents): void {
    this.#endDelivered = true;
    if (this.#sentEnd || this.#portGone) return this.#finish();
    // Half-open: this side may still answer what it serves, then closes.
    if (events.end) events.end();
    else this.close();
  }

  /** Acknowledges at the end of this turn, unless a data message takes the count along first. */
  #scheduleAck(): void {
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    queueMicrotask(() => {
      this.#ackScheduled = false;
      const n = this.#takeAck();
      if (n > 0 && !this.#closed && !this.#portGone) this.#post({ gotalk: 'ack', bytes: n }, []);
    });
  }

  #takeAck(): number {
    const n = this.#toAck;
    this.#toAck = 0;
    return n;
  }

  // ----- ending -----

  #violation(what: string): void {
    this.destroy(new GotalkError('PROTOCOL_ERROR', `message port: the other side sent ${what}`));
  }

  #finish(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    if (this.#graceTimer !== null) clearTimeout(this.#graceTimer);
    this.#inbox = [];
    this.#inboxBytes = 0;
    this.#held = [];
    this.#heldBytes = 0;
    if (!this.#portGone) this.#port.removeEventListener('message', this.#onMessage);
    this.#events?.close(error);
  }
}
