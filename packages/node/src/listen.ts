import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, Server as TlsServer, type TlsOptions } from 'node:tls';
import { DEFAULTS } from '@gotalk/peer';
import { formatAddress, type Address } from './address.ts';
import { NodeError } from './errors.ts';
import { listenUnix } from './unix-socket.ts';

/** Something listening: where (ports resolved), and how to stop. */
export interface Listener {
  /** Where it listens; null while it does not (an endpoint on an HTTP server not listening yet). */
  readonly address: string | null;
  /** Stops listening (connections already accepted are the caller's). */
  close(): Promise<void>;
}

/** Options of {@link listenSockets} and {@link listenHttp}. */
export interface ListenOptions {
  /** Certificates for `tls://` and `wss://`. */
  readonly tls?: TlsOptions | undefined;
  /** TCP and Unix: keep accepted sockets writable after the other side's half-close. */
  readonly allowHalfOpen?: boolean | undefined;
  /** File mode of a Unix socket (default 0o600). */
  readonly unixMode?: number | undefined;
  /** Errors of the listening socket after it listens (never thrown: a listener must not end the process). */
  readonly onError?: ((err: Error) => void) | undefined;
}

/** A listen error: an address in use becomes `ADDRESS_IN_USE`, as for a live Unix socket. */
function listenError(err: Error, where: string): Error {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err;
  return new NodeError('ADDRESS_IN_USE', `${where} is already in use`, { cause: err });
}

/** The address a server listens on, in the common syntax (`tls://` for a TLS server); null while it does not listen. */
function boundAddress(server: NetServer): string | null {
  const a = server.address();
  if (a === null) return null;
  if (typeof a === 'string') return formatAddress({ kind: 'unix', path: a });
  return formatAddress({ kind: server instanceof TlsServer ? 'tls' : 'tcp', host: a.address, port: a.port });
}

/**
 * Takes over `server`, listening or not: `onSocket` receives each socket it accepts (for a TLS
 * server, once its handshake is done), its later errors go to `onError`, and `close()` stops it.
 */
export function adoptServer(server: NetServer, options: ListenOptions, onSocket: (socket: Socket) => void): Listener {
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(event, onSocket);
  const onError = options.onError ?? (() => {});
  server.on('error', onError);
  return {
    get address() {
      return boundAddress(server);
    },
    close: () => {
      server.off(event, onSocket);
      return closeNet(server).finally(() => server.off('error', onError));
    },
  };
}

/** Listens `server` on the inherited listening socket `fd` (`BAD_ADDRESS` when it is not one). */
async function listenFd(server: NetServer, fd: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => reject(new NodeError('BAD_ADDRESS', `fd:${fd} is not a socket this process can listen on: ${err.message}`, { cause: err }));
    server.once('error', fail);
    server.listen({ fd }, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

function closeNet(server: NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Listens `server` on the host and port of `a` and resolves with the port bound (port 0 is
 * resolved); later errors of the listening socket go to `onError`.
 */
export async function listenPort(server: NetServer, a: Address & { host: string; port: number }, onError: (err: Error) => void = () => {}): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => reject(listenError(err, formatAddress(a)));
    server.once('error', fail);
    server.listen({ host: a.host, port: a.port }, () => {
      server.off('error', fail);
      resolve();
    });
  });
  server.on('error', onError);
  return (server.address() as AddressInfo).port;
}

/**
 * The one place that listens for stream sockets: TCP, TLS (with `options.tls`), a Unix socket
 * (its file made safely, see `listenUnix`), an inherited listening socket (`fd:N`: TCP or Unix,
 * as the host made it; its listener's address is the one it is bound to), or a `net.Server` /
 * `tls.Server` made elsewhere, listening already or later, which is then this listener's to
 * close (its own options, such as `allowHalfOpen`, stay). `onSocket` receives each accepted socket.
 */
export async function listenSockets(
  a: Exclude<Address, { kind: 'ws' | 'wss' }> | NetServer,
  options: ListenOptions,
  onSocket: (socket: Socket) => void,
): Promise<Listener> {
  if (!('kind' in a)) return adoptServer(a, options, onSocket);
  if (a.kind === 'fd') {
    const server = createNetServer({ allowHalfOpen: options.allowHalfOpen === true });
    await listenFd(server, a.fd);
    const listener = adoptServer(server, options, onSocket);
    return {
      get address() {
        return listener.address ?? formatAddress(a);
      },
      close: () => listener.close(),
    };
  }
  const server = a.kind === 'tls' ? createTlsServer(options.tls ?? {}, onSocket) : createNetServer({ allowHalfOpen: options.allowHalfOpen === true }, onSocket);
  if (a.kind === 'unix') {
    const unix = await listenUnix(server, a.path, options.unixMode ?? 0o600);
    if (options.onError) server.on('error', options.onError);
    return { address: formatAddress(a), close: () => unix.close() };
  }
  const port = await listenPort(server, a, options.onError);
  return { address: formatAddress({ ...a, port }), close: () => closeNet(server) };
}

/**
 * Listens a new HTTP server (HTTPS for `wss://`, with `options.tls`) on the host and port of a
 * WebSocket address. `setup` attaches its request and upgrade handlers before it listens.
 * `close()` stops it and ends its connections (see `closeHttp` in listen.ts).
 */
export async function listenHttp(
  a: Extract<Address, { kind: 'ws' | 'wss' }>,
  options: ListenOptions,
  setup: (http: HttpServer) => void,
): Promise<Listener & { readonly address: string }> {
  const http: HttpServer = a.kind === 'wss' ? createHttpsServer(options.tls ?? {}) : createHttpServer();
  setup(http);
  const port = await listenPort(http, a, options.onError);
  return {
    address: formatAddress({ ...a, port }),
    close: () => closeHttp(http),
  };
}

/** How often a closing HTTP server ends the connections that have gone idle since (ms). */
const IDLE_SWEEP = 100;

/**
 * Stops `http` and ends its connections: the idle ones at once, each busy one as soon as its
 * response is done, and whatever is left (a client that never finishes its request) after
 * `DEFAULTS.closeGrace`. Without this a half-sent request held the close until the server's
 * headers timeout (a minute). Upgraded connections (WebSockets) are the peers', closed by them.
 */
export function closeHttp(http: HttpServer): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = setInterval(() => http.closeIdleConnections(), IDLE_SWEEP);
    const last = setTimeout(() => http.closeAllConnections(), DEFAULTS.closeGrace);
    http.close(() => {
      clearInterval(sweep);
      clearTimeout(last);
      resolve();
    });
    http.closeIdleConnections();
  });
}
