import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DEFAULTS, type TransportInfo } from '@gotalk/peer';
import { DuplexTransport } from './duplex-transport.ts';

/**
 * A {@link DuplexTransport} over a connected stream socket: TCP, TLS or a Unix socket (`info.kind`
 * `tcp`, `tls` or `unix`). Sets TCP_NODELAY and keep-alive (30 s) on TCP and TLS, and reports
 * the socket's own backpressure past `highWaterMark` (default 1 MiB). A half-close by the other
 * side lets the peer finish what it serves when the socket has `allowHalfOpen`; else this side
 * ends too.
 */
export class SocketTransport extends DuplexTransport {
  constructor(socket: Socket | TLSSocket, info: TransportInfo, highWaterMark: number = DEFAULTS.highWaterMark) {
    super(socket, { info, highWaterMark });
    if (info.kind === 'tcp' || info.kind === 'tls') {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
    }
  }
}
