// A Gotalk transport over a worker_threads message channel (a Worker, its parentPort, or a
// MessagePort), local to this example until @gotalk/node has its own. Real Gotalk bytes go
// through: each batch the peer's outbox writes is one message, its buffer transferred (the
// outbox made it fresh and never touches it again). A port has no backpressure of its own, so
// the receiver acknowledges the bytes it has delivered, and the writer reports backpressure
// (write() false, then drain) while more than `highWaterMark` bytes are unacknowledged: a
// receiver that stops reading (its peer paused) stalls the writer instead of growing its queue.
import { DEFAULTS, type Transport, type TransportEvents, type TransportInfo } from '@gotalk/node';

/** The part of a Worker, a parentPort or a MessagePort this transport uses. */
export interface PortLike {
  postMessage(value: unknown, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
}

/** The control messages; data is a bare Uint8Array. */
type Control = { readonly ack: number } | { readonly end: true };

/** Acknowledge once this many delivered bytes are unacknowledged (well under the writer's mark). */
const ACK_EVERY = 64 * 1024;

export class PortTransport implements Transport {
  readonly info: TransportInfo;
  #events: TransportEvents | null = null;
  #closed = false;
  #paused = false;
  /** Messages that came while paused (or before start), in order. */
  #held: Uint8Array[] = [];
  /** Bytes written and not yet acknowledged by the other side. */
  #unacked = 0;
  /** Bytes delivered here and not yet acknowledged to the other side. */
  #toAck = 0;
  #blocked = false;
  readonly #port: PortLike;
  readonly #highWaterMark: number;

  constructor(port: PortLike, info: TransportInfo, highWaterMark: number = DEFAULTS.highWaterMark) {
    this.#port = port;
    this.info = info;
    this.#highWaterMark = highWaterMark;
    port.on('message', this.#onMessage);
  }

  start(events: TransportEvents): void {
    this.#events = events;
    this.#deliver();
  }

  get bufferedAmount(): number {
    return this.#unacked;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closed) return true;
    this.#unacked += bytes.length;
    // A buffer of its own (what the peer's outbox writes) is transferred; a view into a larger one is copied.
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) this.#port.postMessage(bytes, [bytes.buffer]);
    else this.#port.postMessage(bytes);
    if (this.#unacked <= this.#highWaterMark) return true;
    this.#blocked = true;
    return false;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#deliver();
  }

  /** Tells the other side we are done, then closes. */
  close(): void {
    if (this.#closed) return;
    this.#port.postMessage({ end: true } satisfies Control);
    this.ended();
  }

  destroy(error?: Error): void {
    this.ended(error);
  }

  /** The channel is gone (the other side ended it, or its thread exited): `error` says why, if it was not clean. */
  ended(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.off('message', this.#onMessage);
    this.#held = [];
    this.#events?.close(error);
  }

  readonly #onMessage = (value: unknown): void => {
    if (this.#closed) return;
    if (value instanceof Uint8Array) {
      this.#held.push(value);
      this.#deliver();
      return;
    }
    const control = value as Control;
    if ('ack' in control) {
      this.#unacked -= control.ack;
      if (this.#blocked && this.#unacked <= this.#highWaterMark) {
        this.#blocked = false;
        this.#events?.drain();
      }
    } else if ('end' in control) this.ended();
  };

  #deliver(): void {
    const events = this.#events;
    if (!events) return;
    let delivered = 0;
    while (this.#held.length > 0 && !this.#paused && !this.#closed) {
      const chunk = this.#held.shift()!;
      delivered += chunk.length;
      events.data(chunk);
    }
    this.#toAck += delivered;
    if (this.#toAck >= ACK_EVERY && !this.#closed) {
      this.#port.postMessage({ ack: this.#toAck } satisfies Control);
      this.#toAck = 0;
    }
  }
}
