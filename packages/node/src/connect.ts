import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { checkPeerOptions, msOption, Peer, type PeerOptions, type Transport } from '@gotalk/peer';
import { DEFAULT_MAX_PAYLOAD, messageLimit } from '@gotalk/protocol';
import { WebSocket } from 'ws';
import { formatAddress, parseAddress, type Address } from './address.ts';
import { NodeError } from './errors.ts';
import { SocketTransport } from './socket-transport.ts';
import { checkUnixPath } from './unix-socket.ts';
import { WebSocketTransport } from './ws-transport.ts';

/** Options of {@link connect}: the peer's options plus how to reach the other side. */
export interface ConnectOptions extends PeerOptions {
  /** Give up connecting (including the handshake) after this many ms (default 10 000; 0: no limit; at most 2^31-1). */
  readonly connectTimeout?: number;
  /** TLS options for `tls://` and `wss://`: `ca`, `cert`, `key`, `servername`, `rejectUnauthorized`… */
  readonly tls?: TlsConnectionOptions;
  /** The `Origin` header for `ws://`/`wss://` (default `http(s)://host:port`; the Go server requires one). */
  readonly origin?: string;
  /** Extra HTTP headers for the WebSocket upgrade request. */
  readonly headers?: Record<string, string>;
  /** WebSocket only: send headers and payloads as separate messages (for gotalk.js-era servers). */
  readonly splitMessages?: boolean;
  /**
   * TCP and Unix: when the server finishes sending but still reads (a half-close), keep
   * answering what it asked, then close (default false: its end closes the connection). See
   * `ServerOptions.allowHalfOpen` for the cost.
   */
  readonly allowHalfOpen?: boolean;
}

function socketTransport(address: Address, options: ConnectOptions, signal: AbortSignal): Promise<Transport> {
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
      const local = address.kind === 'unix' ? where : `${address.kind}://${socket.localAddress}:${socket.localPort}`;
      const info: Record<string, unknown> = { kind: address.kind, remote: where, local };
      if (address.kind === 'tls') info['certificate'] = (socket as import('node:tls').TLSSocket).getPeerCertificate();
      resolve(new SocketTransport(socket, { kind: address.kind, ...info }));
    });
  });
}

function wsTransport(address: Address & { kind: 'ws' | 'wss' }, options: ConnectOptions, signal: AbortSignal): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    const http = address.kind === 'wss' ? 'https' : 'http';
    const url = `${address.kind}://${host}:${address.port}${address.path}`;
    const socket = new WebSocket(url, {
      origin: options.origin ?? `${http}://${host}:${address.port}`,
      maxPayload: messageLimit(options.limits?.maxPayload ?? DEFAULT_MAX_PAYLOAD), // ws buffers a message whole: bound it
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
    const onAbort = () => socket.terminate();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('open', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(new WebSocketTransport(socket, { kind: address.kind, remote: url }, options.splitMessages ? { splitMessages: true } : {}));
    });
  });
}

/**
 * Connects to a Gotalk peer at `address` (`tcp://`, `tls://`, `unix:`, `ws://`, `wss://`) and
 * resolves with a ready {@link Peer} once the handshake completed. Rejects with
 * {@link NodeError} (`BAD_ADDRESS`, also for a Unix path too long for a socket address;
 * `CONNECT_FAILED`, `CONNECT_TIMEOUT`), or, before dialling, with a RangeError naming a bad
 * option (`connectTimeout` must be 0..2^31-1 ms, 0 for no limit; the peer options as `new Peer`
 * checks them).
 */
export async function connect(address: string, options: ConnectOptions = {}): Promise<Peer> {
  const parsed = parseAddress(address);
  if (parsed.kind === 'unix') checkUnixPath(parsed.path);
  const timeout = msOption(options.connectTimeout, 10_000, 'connectTimeout');
  checkPeerOptions(options);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const attempt = new AbortController();
  // 0: no limit (the peer's own handshakeTimeout still bounds the handshake).
  const deadline = new Promise<never>((_, reject) => {
    if (timeout === 0) return;
    timer = setTimeout(() => {
      timedOut = true;
      // The deadline first, so that it is what the caller sees; then the attempt is abandoned.
      reject(new NodeError('CONNECT_TIMEOUT', `connecting to ${address} took longer than ${timeout} ms`));
      attempt.abort();
    }, timeout);
  });
  const pending =
    parsed.kind === 'ws' || parsed.kind === 'wss' ? wsTransport(parsed, options, attempt.signal) : socketTransport(parsed, options, attempt.signal);
  // A transport that connects after the deadline is closed at once.
  pending.then((t) => timedOut && t.destroy(), () => {});
  try {
    const transport = await Promise.race([pending, deadline]);
    let peer: Peer;
    try {
      peer = new Peer(transport, options);
    } catch (err) {
      transport.destroy();
      throw err;
    }
    try {
      await Promise.race([peer.ready, deadline]);
    } catch (err) {
      peer.destroy();
      if (err instanceof NodeError) throw err;
      throw new NodeError('CONNECT_FAILED', `${address} closed during the handshake: ${(err as Error).message}`, { cause: err });
    }
    return peer;
  } finally {
    clearTimeout(timer);
  }
}
