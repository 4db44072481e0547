import { DEFAULTS, utf8, type Transport, type TransportEvents, type TransportInfo } from '@gotalk/peer';
import { isCleanClose, sendInChunks } from '@gotalk/protocol';
import { BrowserError } from './errors.ts';

/** What this package uses of a WebSocket event: a message's `data`, a close's `code` and `reason`. */
export interface WebSocketEventLike {
  readonly type: string;
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
}

/**
 * The part of the standard WebSocket this package uses. The browser's `WebSocket` has it, and
 * so has the `ws` package's (for Node tests and tools).
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** Queues `data` as one binary message. */
  send(data: Uint8Array): void;
  /** Starts the closing handshake with `code` and `reason`. */
  close(code?: number, reason?: string): void;
  /** Calls `listener` on each event of `type`. */
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: WebSocketEventLike) => void): void;
}

/** A WebSocket constructor: the global `WebSocket`, or a compatible one such as `ws`'s. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;
/** The close code sent when the connection ends abnormally (private-use range; browsers refuse 1001–2999). */
export const ABNORMAL_CLOSE = 4000;

/**
 * A {@link Transport} over an open standard WebSocket. Incoming messages are read as one byte
 * stream, split anywhere (the Go server sends headers and payloads as separate messages); text
 * messages count as their UTF-8 bytes. Each outgoing batch is one binary message.
 *
 * The standard WebSocket has no read backpressure: while paused, received messages are held
 * here and delivered on `resume()` (or just before the close, when the socket closes first).
 * Past `maxHeld` bytes held (default: the peer's default `limits.maxBacklog`, 64 MiB) it ends
 * the connection instead, with BrowserError `READ_BACKLOG`. It has no drain event either: past
 * the high-water mark, `bufferedAmount` is polled until it is below half of it.
 */
export class WebSocketTransport implements Transport {
  readonly info: TransportInfo;
  /** The WebSocket's close code and reason, once it has closed (a reconnecting client reads them). */
  closeCode: number | undefined;
  closeReason: string | undefined;
  #events: TransportEvents | null = null;
  /** Messages received while paused, or null when not paused. */
  #held: Uint8Array[] | null = null;
  #heldBytes = 0;
  #ended = false;
  #blocked = false;
  readonly #socket: WebSocketLike;
  readonly #highWaterMark: number;
  readonly #maxHeld: number;

  constructor(socket: WebSocketLike, info: TransportInfo, highWaterMark: number = DEFAULTS.highWaterMark, maxHeld: number = DEFAULTS.limits.maxBacklog) {
    this.#socket = socket;
    this.info = info;
    this.#highWaterMark = highWaterMark;
    this.#maxHeld = maxHeld;
    socket.binaryType = 'arraybuffer';
    // Listening from the start, holding what comes until start(): an open WebSocket may deliver
    // its first messages in the same tick as its open event, before the peer exists.
    this.#held = [];
    socket.addEventListener('message', ({ data }) => {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : typeof data === 'string' ? utf8(data) : null;
      if (!bytes || this.#ended) return;
      if (!this.#held) return this.#events!.data(bytes);
      this.#held.push(bytes);
      if ((this.#heldBytes += bytes.length) > this.#maxHeld) {
        this.destroy(new BrowserError('READ_BACKLOG', `${this.#heldBytes} bytes unread (limits.maxBacklog)`));
      }
    });
    socket.addEventListener('close', ({ code, reason }) => {
      this.closeCode = code;
      this.closeReason = reason ?? '';
      if (this.#events) this.#closed(code); // else start() ends it
    });
  }

  start(events: TransportEvents): void {
    this.#events = events;
    if (this.closeCode !== undefined) this.#closed(this.closeCode);
    else if (this.#socket.readyState !== OPEN) queueMicrotask(() => this.#end(new Error('WebSocket not open')));
    else if (this.#held!.length === 0)
      this.#held = null; // nothing came early: deliver as it comes
    else this.resume(); // what came early, from a microtask (never from inside start())
  }

  /** The WebSocket closed: messages held by a pause are delivered first (they arrived before the close), then the end. */
  #closed(code: number | undefined): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const bytes of held) if (!this.#ended) this.#events!.data(bytes);
    this.#end(code !== undefined && isCleanClose(code) ? undefined : new Error(`WebSocket closed with code ${code}`));
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.#socket;
    if (socket.readyState !== OPEN) return true;
    sendInChunks(bytes, (piece) => socket.send(piece));
    if (socket.bufferedAmount <= this.#highWaterMark) return true;
    if (!this.#blocked) {
      this.#blocked = true;
      this.#poll();
    }
    return false;
  }

  /** Bytes queued in the WebSocket, not yet sent. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  pause(): void {
    this.#held ??= [];
  }

  resume(): void {
    if (this.#held) queueMicrotask(() => this.#deliverHeld());
  }

  close(): void {
    if (this.#socket.readyState <= OPEN) this.#socket.close(1000);
  }

  destroy(error?: Error): void {
    if (this.#socket.readyState <= OPEN) this.#socket.close(ABNORMAL_CLOSE);
    this.#end(error);
  }

  /** Delivers held messages until they are out or the peer pauses again. */
  #deliverHeld(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    while (held.length > 0 && !this.#held && !this.#ended) {
      const bytes = held.shift()!;
      this.#heldBytes -= bytes.length;
      this.#events!.data(bytes);
    }
    if (this.#held) this.#held = held.concat(this.#held);
  }

  #end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#held = null;
    this.#events?.close(error);
  }

  #poll(): void {
    setTimeout(() => {
      if (this.#socket.readyState === OPEN && this.#socket.bufferedAmount > this.#highWaterMark / 2) return this.#poll();
      this.#blocked = false;
      if (!this.#ended) this.#events?.drain();
    }, 10);
  }
}
