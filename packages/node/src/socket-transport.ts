import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DEFAULTS, type Transport, type TransportEvents, type TransportInfo } from '@gotalk/peer';

/**
 * A {@link Transport} over a connected stream socket: TCP, TLS or a Unix socket. Sets
 * TCP_NODELAY and keep-alive on TCP, writes each coalesced batch with one `socket.write`, and
 * reports the socket's own backpressure (`write()` false until `drain`).
 */
export class SocketTransport implements Transport {
  readonly info: TransportInfo;
  private events: TransportEvents | null = null;
  private closed = false;

  constructor(
    private readonly socket: Socket | TLSSocket,
    info: TransportInfo,
    private readonly highWaterMark: number = DEFAULTS.highWaterMark,
  ) {
    this.info = info;
    if (info.kind === 'tcp' || info.kind === 'tls') {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
    }
    // Until start(), hold incoming bytes in the socket.
    socket.pause();
  }

  start(events: TransportEvents): void {
    this.events = events;
    const socket = this.socket;
    let failure: Error | undefined;
    socket.on('data', (chunk: Buffer) => events.data(chunk));
    socket.on('drain', () => events.drain());
    socket.on('error', (err) => {
      failure ??= err;
    });
    // The other side finished sending. With `allowHalfOpen` (an option of our servers and of
    // connect()) this side may still answer what it serves; the peer closes when done.
    socket.on('end', () => (events.end && socket.allowHalfOpen ? events.end() : socket.end()));
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      events.close(failure);
    });
    if (socket.destroyed) {
      this.closed = true;
      queueMicrotask(() => events.close(failure ?? new Error('socket closed before start')));
      return;
    }
    socket.resume();
  }

  write(bytes: Uint8Array): boolean {
    if (this.socket.destroyed || !this.socket.writable) return true;
    return this.socket.write(bytes) || this.underMark();
  }

  /**
   * Node's sockets report backpressure past 16 KiB of queued bytes, less than one 64 KiB stream
   * part, so a producer would wait for `drain` after every part. Ours is `highWaterMark`
   * (default 1 MiB); `drain` still follows any write the socket itself refused.
   */
  private underMark(): boolean {
    return this.socket.writableLength < this.highWaterMark;
  }

  /** Bytes queued in the socket, not yet handed to the system. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  writev(pieces: readonly Uint8Array[]): boolean {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return true;
    // Corked writes leave in one writev system call when uncorked.
    socket.cork();
    let ok = true;
    for (const piece of pieces) ok = socket.write(piece);
    socket.uncork();
    return ok || this.underMark();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (this.events) this.socket.resume();
  }

  close(): void {
    this.socket.end();
    // A peer that never closes its side must not keep the socket open forever.
    setTimeout(() => this.socket.destroy(), DEFAULTS.closeGrace).unref();
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }
}
