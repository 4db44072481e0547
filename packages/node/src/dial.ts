import { isIP, connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions, type TLSSocket } from 'node:tls';
import type { Transport } from '@gotalk/peer';
import { DEFAULT_MAX_PAYLOAD, messageLimit } from '@gotalk/protocol';
import { WebSocket } from 'ws';
import { formatAddress, hostPort, type Address } from './address.ts';
import { NodeError } from './errors.ts';
import { SocketTransport } from './socket-transport.ts';
import { WebSocketTransport } from './ws-transport.ts';

/** How {@link dial} reaches the other side; every field is optional. */
export interface DialOptions {
  /** TLS options for `tls://` and `wss://`: `ca`, `cert`, `key`, `servername`, `rejectUnauthorized`… */
  readonly tls?: TlsConnectionOptions | undefined;
  /** The `Origin` header for `ws://`/`wss://` (default `http(s)://host:port`; the Go server requires one). */
  readonly origin?: string | undefined;
  /** Extra HTTP headers for the WebSocket upgrade request. */
  readonly headers?: Record<string, string> | undefined;
  /** WebSocket only: send headers and payloads as separate messages (for gotalk.js-era servers). */
  readonly splitMessages?: boolean | undefined;
  /** TCP and Unix: keep the socket writable after the other side's half-close. */
  readonly allowHalfOpen?: boolean | undefined;
  /** The payload limit the WebSocket message limit is derived from (default 8 MiB). */
  readonly maxPayload?: number | undefined;
}

/** A socket this process inherited, already connected: the transport is made at once. */
function inheritedTransport(address: Extract<Address, { kind: 'fd' }>, options: DialOptions): Promise<Transport> {
  const where = formatAddress(address);
  let socket: Socket;
  try {
    socket = new Socket({ fd: address.fd, readable: true, writable: true, allowHalfOpen: options.allowHalfOpen === true });
  } catch (err) {
    return Promise.reject(new NodeError('CONNECT_FAILED', `cannot use ${where}: ${(err as Error).message}`, { cause: err }));
  }
  return Promise.resolve(new SocketTransport(socket, { kind: 'fd', remote: where, local: where }));
}

/**
 * Holds what is written to a socket just connected until the end of this turn of the event loop,
 * then sends it in one write: the peer's version and the requests made before its handshake
 * completes (a pipelined `connect()`'s first requests, a reconnecting client's queue), which are
 * all made in the turn the connection is made in. `end()` and `destroy()` need no uncork.
 */
function holdFirstTurn(socket: Socket): void {
  socket.cork();
  setImmediate(() => socket.uncork());
}

function socketTransport(address: Extract<Address, { kind: 'tcp' | 'tls' | 'unix' }>, options: DialOptions, signal: AbortSignal): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let socket: Socket;
    const where = formatAddress(address);
    const allowHalfOpen = options.allowHalfOpen === true; // plain sockets only: TLS ends both ways at once
    if (address.kind === 'unix') socket = netConnect({ path: address.path, allowHalfOpen });
    else if (address.kind === 'tcp') socket = netConnect({ host: address.host, port: address.port, allowHalfOpen });
    // SNI carries host names only: an IP address there is against RFC 6066 (and Node warns, DEP0123).
    else socket = tlsConnect({ host: address.host, port: address.port, ...(isIP(address.host) ? {} : { servername: address.host }), ...options.tls });
    const ready = address.kind === 'tls' ? 'secureConnect' : 'connect';
    const onError = (err: Error) => reject(new NodeError('CONNECT_FAILED', `cannot connect to ${where}: ${err.message}`, { cause: err }));
    // Past the deadline, the attempt is abandoned (a socket still connecting would linger).
    const onAbort = () => {
      socket.destroy();
      reject(new NodeError('CONNECT_TIMEOUT', `connecting to ${where} was abandoned`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(ready, () => {
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      const local = address.kind === 'unix' ? where : `${address.kind}://${hostPort(socket.localAddress ?? '?', socket.localPort ?? 0)}`;
      const info: Record<string, unknown> = { kind: address.kind, remote: where, local };
      if (address.kind === 'tls') info['certificate'] = (socket as TLSSocket).getPeerCertificate();
      holdFirstTurn(socket);
      resolve(new SocketTransport(socket, { kind: address.kind, ...info }));
    });
  });
}

function wsTransport(address: Extract<Address, { kind: 'ws' | 'wss' }>, options: DialOptions, signal: AbortSignal): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const url = formatAddress(address);
    const socket = new WebSocket(url, {
      origin: options.origin ?? `${address.kind === 'wss' ? 'https' : 'http'}://${hostPort(address.host, address.port)}`,
      maxPayload: messageLimit(options.maxPayload ?? DEFAULT_MAX_PAYLOAD), // ws buffers a message whole: bound it
      perMessageDeflate: false,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.tls ?? {}),
    });
    const fail = (message: string, cause?: unknown) => reject(new NodeError('CONNECT_FAILED', `cannot connect to ${url}: ${message}`, { cause }));
    socket.once('unexpected-response', (_req, res) => {
      fail(`HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
      socket.terminate();
    });
    socket.once('error', (err) => fail(err.message, err));
    // Past the deadline, the attempt is abandoned (an unanswered upgrade request would linger).
    const onAbort = () => {
      reject(new NodeError('CONNECT_TIMEOUT', `connecting to ${url} was abandoned`)); // first: the socket's error that follows is not the reason
      socket.terminate();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('open', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(new WebSocketTransport(socket, { kind: address.kind, remote: url }, options.splitMessages ? { splitMessages: true } : {}));
    });
  });
}

/**
 * The one place that turns an address into a connected {@link Transport}: TCP (no delay, keep
 * alive), TLS (SNI only for host names, never for IP addresses), Unix sockets, WebSocket (an
 * `Origin`, IPv6 hosts in brackets, a bounded message size, no compression), and `fd:N`, a
 * connected socket this process inherited (one end of a socketpair, say). Rejects with
 * `CONNECT_FAILED`, or `CONNECT_TIMEOUT` once `signal` aborts the attempt.
 */
export function dial(address: Address, options: DialOptions = {}, signal: AbortSignal = new AbortController().signal): Promise<Transport> {
  switch (address.kind) {
    case 'ws':
    case 'wss':
      return wsTransport(address, options, signal);
    case 'fd':
      return inheritedTransport(address, options);
    default:
      return socketTransport(address, options, signal);
  }
}
