import { FrameDecoder, frameSize, isCleanClose, sendInChunks, type DecodedFrame } from '@gotalk/protocol';
import { concat, DEFAULTS, type Transport, type TransportEvents, type TransportInfo } from '@gotalk/peer';
import type { RawData, WebSocket } from 'ws';

/** Options of {@link WebSocketTransport}. */
export interface WebSocketTransportOptions {
  /**
   * Send each frame's header and payload as separate WebSocket messages (and the version on its
   * own), as gotalk.js 1.2 clients expect. Default false: one message per coalesced batch.
   */
  readonly splitMessages?: boolean;
  /** Bytes buffered in the socket above which `write()` reports backpressure (default 1 MiB). */
  readonly highWaterMark?: number;
  /**
   * The close code of a clean `close()`: 1000 (normal, the default) or 1001 (going away, what a
   * server sends when it shuts down, so browser clients reconnect at once). See also {@link WebSocketTransport.goingAway}.
   */
  readonly closeCode?: 1000 | 1001;
}

function concatPieces(pieces: readonly Uint8Array[]): Uint8Array {
  return concat(
    pieces,
    pieces.reduce((n, p) => n + p.length, 0),
  );
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/**
 * A {@link Transport} over a `ws` WebSocket. Incoming messages are read as one continuous byte
 * stream (the Go server sends header and payload as separate messages; any split is fine).
 * Outgoing batches go as binary messages. `ws` has no drain event, so backpressure is polled
 * from `bufferedAmount` while over the high-water mark.
 */
export class WebSocketTransport implements Transport {
  readonly info: TransportInfo;
  /** The WebSocket's close code and reason, once it has closed (a reconnecting client reads them). */
  closeCode: number | undefined;
  closeReason: string | undefined;
  private events: TransportEvents | null = null;
  private closed = false;
  private blocked = false;
  private readonly highWaterMark: number;
  /** The code this side closes with. */
  private sendCode: number;
  private readonly splitter: FrameDecoder | null;

  constructor(
    private readonly socket: WebSocket,
    info: TransportInfo,
    options: WebSocketTransportOptions = {},
  ) {
    this.info = info;
    this.highWaterMark = options.highWaterMark ?? DEFAULTS.highWaterMark;
    this.sendCode = options.closeCode ?? 1000;
    this.splitter = options.splitMessages ? new FrameDecoder({ expectVersion: true, maxPayload: 0xffffffff }) : null;
    socket.binaryType = 'nodebuffer';
    socket.pause();
  }

  start(events: TransportEvents): void {
    this.events = events;
    const socket = this.socket;
    let failure: Error | undefined;
    // Text messages are read as their UTF-8 bytes, like binary ones: the wire format is ASCII headers anyway.
    socket.on('message', (data) => events.data(toBytes(data)));
    socket.on('error', (err) => {
      failure ??= err;
    });
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      if (this.closed) return;
      this.closed = true;
      events.close(failure ?? (isCleanClose(code) ? undefined : new Error(`WebSocket closed with code ${code}`)));
    });
    if (socket.readyState !== socket.OPEN) {
      this.closed = true;
      queueMicrotask(() => events.close(new Error('WebSocket not open')));
      return;
    }
    socket.resume();
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return true;
    if (this.splitter) this.sendSplit(bytes);
    else sendInChunks(bytes, (piece) => socket.send(piece, { binary: true }));
    return this.pressure();
  }

  /**
   * Sends `pieces` (a batch whose large payloads the outbox left uncopied) as consecutive
   * messages, each piece its own: the reader takes messages as one byte stream, so a payload
   * may travel apart from its header, and `ws` frames it without a copy of its own on a server
   * (a client copies once, to mask it). With `splitMessages` the batch is joined and split by frame.
   */
  writev(pieces: readonly Uint8Array[]): boolean {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return true;
    if (this.splitter) this.sendSplit(concatPieces(pieces));
    else for (const p of pieces) sendInChunks(p, (piece) => socket.send(piece, { binary: true }));
    return this.pressure();
  }

  /** False (and polling begun) when the socket is over its high-water mark. */
  private pressure(): boolean {
    const socket = this.socket;
    if (socket.bufferedAmount > this.highWaterMark) {
      if (!this.blocked) {
        this.blocked = true;
        this.poll();
      }
      return false;
    }
    return true;
  }

  /** Bytes queued in the WebSocket, not yet handed to the system. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (this.events) this.socket.resume();
  }

  /** From now on a clean `close()` sends 1001 (going away): the server is shutting down. */
  goingAway(): void {
    this.sendCode = 1001;
  }

  close(): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(this.sendCode);
      setTimeout(() => this.socket.terminate(), DEFAULTS.closeGrace).unref();
    }
  }

  destroy(): void {
    this.socket.terminate();
  }

  /** Sends the version, then each header and each payload as separate messages. */
  private sendSplit(bytes: Uint8Array): void {
    let at = 0;
    this.splitter!.push(bytes, (frame: DecodedFrame) => {
      if (frame.type === 'version') {
        this.socket.send(bytes.subarray(at, at + 2), { binary: true });
        at += 2;
        return;
      }
      if (frame.type === 'oversize' || frame.type === 'refused') return; // never emitted here: the splitter has no size limit and no admit hook
      const total = frameSize(frame);
      const payload = 'payload' in frame ? frame.payload.length : 0;
      this.socket.send(bytes.subarray(at, at + total - payload), { binary: true });
      if (payload > 0) this.socket.send(bytes.subarray(at + total - payload, at + total), { binary: true });
      at += total;
    });
  }

  private poll(): void {
    const timer = setInterval(() => {
      if (this.socket.readyState !== this.socket.OPEN || this.socket.bufferedAmount <= this.highWaterMark / 2) {
        clearInterval(timer);
        this.blocked = false;
        if (!this.closed) this.events?.drain();
      }
    }, 5);
    timer.unref();
  }
}
